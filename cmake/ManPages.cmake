# Man pages that cannot drift from --help (issue 15 item 12): help2man makes
# build/man/PROG.1 from the built program's --help and --version, with the
# prose --help lacks (description, signals, exit status, files, examples, see
# also) from deploy/man/PROG.h2m; jobq's page also holds every subcommand's
# --help (deploy/man/make_man_page.py). The package installs PROG.1.gz.
# ctest man_pages (label unit): each page names every flag of its program's
# --help and no flag that no program has (deploy/man/check_man_pages.py).
#
# help2man dates a page with the month it ran, or with $SOURCE_DATE_EPOCH
# when set (reproducible builds).

find_program(JOBQ_HELP2MAN help2man)
if(NOT JOBQ_HELP2MAN)
  message(FATAL_ERROR "help2man is missing: run scripts/setup.sh (apt-get install help2man)")
endif()
find_program(JOBQ_PYTHON3 python3 REQUIRED)

set(JOBQ_MAN_SOURCE_DIR ${PROJECT_SOURCE_DIR}/deploy/man)
set(JOBQ_MAN_DIR ${PROJECT_BINARY_DIR}/man)
set(jobq_man_programs jobq jobq-broker jobq-worker)
set(jobq_man_pages "")
set(jobq_man_outputs "")
foreach(program IN LISTS jobq_man_programs)
  set(page ${JOBQ_MAN_DIR}/${program}.1)
  set(include ${JOBQ_MAN_SOURCE_DIR}/${program}.h2m)
  set(subcommands "")
  if(program STREQUAL "jobq")
    set(subcommands --subcommands)
  endif()
  add_custom_command(OUTPUT ${page} ${page}.gz
    COMMAND ${JOBQ_PYTHON3} ${JOBQ_MAN_SOURCE_DIR}/make_man_page.py ${subcommands}
      --help2man ${JOBQ_HELP2MAN} --include ${include} --output ${page}
      $<TARGET_FILE:${program}>
    # Debian ships man pages compressed (gzip -n: no name or time in the
    # header, so the package is reproducible).
    COMMAND gzip -9nkf ${page}
    DEPENDS ${program} ${include} ${JOBQ_MAN_SOURCE_DIR}/make_man_page.py
    COMMENT "Man page ${program}.1 from ${program} --help (help2man)"
    VERBATIM)
  list(APPEND jobq_man_pages ${page})
  list(APPEND jobq_man_outputs ${page}.gz)
endforeach()
add_custom_target(jobq_man_pages ALL DEPENDS ${jobq_man_pages} ${jobq_man_outputs})
install(FILES ${jobq_man_outputs} DESTINATION share/man/man1)

# Not in the sanitizer builds: the check reads --help text, which has no
# memory to check, and help2man running the instrumented programs cost the
# ASan stage 20 s of build and 16 s of test.
if(JOBQ_BUILD_TESTS AND NOT JOBQ_SANITIZE)
  set(jobq_man_program_files "")
  foreach(program IN LISTS jobq_man_programs)
    list(APPEND jobq_man_program_files $<TARGET_FILE:${program}>)
  endforeach()
  add_test(NAME man_pages
    COMMAND ${JOBQ_PYTHON3} ${JOBQ_MAN_SOURCE_DIR}/check_man_pages.py --man-dir ${JOBQ_MAN_DIR}
      ${jobq_man_program_files})
  # Label docs, not unit: scripts/test runs the unit suites in its ASan
  # stage, which has no man pages.
  set_tests_properties(man_pages PROPERTIES LABELS docs TIMEOUT 60)
endif()
