# The Debian package `jobq` (issue "Many machines", deploy): the three
# programs (install() rules next to their targets), the systemd units and
# their defaults files from deploy/, and man pages made at build time. In a
# build directory:
#   cpack -G DEB        -> jobq_VERSION_ARCH.deb
# deploy/test-deb.sh installs it into a clean Debian 12 root and runs a job.

set(JOBQ_DEPLOY_DIR ${PROJECT_SOURCE_DIR}/deploy)

# Absolute destinations: the units name /usr/bin and Debian reads units and
# defaults from these places whatever the package's prefix. (A plain
# `cmake --install` as root therefore writes them there too.)
install(FILES
    ${JOBQ_DEPLOY_DIR}/systemd/jobq-broker.service
    ${JOBQ_DEPLOY_DIR}/systemd/jobq-worker@.service
  DESTINATION /lib/systemd/system)
install(FILES
    ${JOBQ_DEPLOY_DIR}/default/jobq-broker
    ${JOBQ_DEPLOY_DIR}/default/jobq-worker
  DESTINATION /etc/default)

# The man pages, made from the programs' --help: cmake/ManPages.cmake.
include(${PROJECT_SOURCE_DIR}/cmake/ManPages.cmake)
install(FILES ${JOBQ_DEPLOY_DIR}/README.md
  DESTINATION share/doc/jobq RENAME README.Debian)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jobq)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "jobq maintainers <maintainers@users.noreply.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "distributed job queue: broker, workers and CLI")
set(CPACK_PACKAGE_DESCRIPTION
  "jobq is a job queue that spans machines: producers submit jobs to one
broker, which keeps them (durably, in SQLite) and hands them to workers on
many hosts; workers run I/O-bound tasks on threads and CPU-bound tasks in
child processes. This package holds jobq-broker, jobq-worker, the jobq
command-line client, and systemd units for the broker and for several
workers per host (jobq-worker@NAME). Nothing is started on installation.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps (dpkg-dev); adduser is for
# the postinst, which creates the jobq user.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${JOBQ_DEPLOY_DIR}/debian/conffiles
  ${JOBQ_DEPLOY_DIR}/debian/postinst
  ${JOBQ_DEPLOY_DIR}/debian/prerm
  ${JOBQ_DEPLOY_DIR}/debian/postrm)
# 0755 maintainer scripts and 0644 conffiles whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
