#include "tests/support/power_cut_vfs.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace jobq::testing {
namespace {

// The file as it is now (page cache included); empty when missing.
bool ReadWholeFile(const std::string& path, std::string* content) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    content->clear();
    return !error;
  }
  std::ifstream in(path, std::ios::binary);
  content->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// What SQLite allocates for each open file (vfs->szOsFile bytes): ours
// first, then the unix VFS's own, which does the I/O.
struct File {
  sqlite3_file base;  // first: SQLite only sees this
  PowerCutVfs* vfs;
  // SQLite keeps the name valid and unchanged until xClose; null for the
  // temporary files, which a power cut does not concern.
  const char* name;
  sqlite3_file* real;
};
constexpr int kFileHeader = (sizeof(File) + 7) / 8 * 8;

File* AsFile(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return AsFile(file)->real; }

}  // namespace

// The io methods forward to the real file; xSync also keeps what it made
// durable. The VFS methods forward to the unix VFS, passing it as itself
// (its xOpen reads its own pAppData).
struct PowerCutVfs::Callbacks {
  static PowerCutVfs* Self(sqlite3_vfs* vfs) { return static_cast<PowerCutVfs*>(vfs->pAppData); }
  static sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return Self(vfs)->real_; }

  static int Close(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }
  static int Read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
    return Real(file)->pMethods->xRead(Real(file), buffer, amount, offset);
  }
  static int Write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
    return Real(file)->pMethods->xWrite(Real(file), buffer, amount, offset);
  }
  static int Truncate(sqlite3_file* file, sqlite3_int64 size) {
    return Real(file)->pMethods->xTruncate(Real(file), size);
  }
  static int Sync(sqlite3_file* file, int flags) {
    const int rc = Real(file)->pMethods->xSync(Real(file), flags);
    File* self = AsFile(file);
    if (rc != SQLITE_OK || self->name == nullptr) {
      return rc;
    }
    if (!ReadWholeFile(self->name, &self->vfs->synced_[self->name])) {
      return SQLITE_IOERR_FSYNC;
    }
    return SQLITE_OK;
  }
  static int FileSize(sqlite3_file* file, sqlite3_int64* size) {
    return Real(file)->pMethods->xFileSize(Real(file), size);
  }
  static int Lock(sqlite3_file* file, int level) {
    return Real(file)->pMethods->xLock(Real(file), level);
  }
  static int Unlock(sqlite3_file* file, int level) {
    return Real(file)->pMethods->xUnlock(Real(file), level);
  }
  static int CheckReservedLock(sqlite3_file* file, int* reserved) {
    return Real(file)->pMethods->xCheckReservedLock(Real(file), reserved);
  }
  static int FileControl(sqlite3_file* file, int op, void* argument) {
    return Real(file)->pMethods->xFileControl(Real(file), op, argument);
  }
  static int SectorSize(sqlite3_file* file) {
    return Real(file)->pMethods->xSectorSize(Real(file));
  }
  static int DeviceCharacteristics(sqlite3_file* file) {
    return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
  }
  static int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
    return Real(file)->pMethods->xShmMap(Real(file), region, size, extend, out);
  }
  static int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
    return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
  }
  static void ShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }
  static int ShmUnmap(sqlite3_file* file, int delete_flag) {
    return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
  }

  static constexpr sqlite3_io_methods kIoMethods = {
      // 2: SQLite ignores xFetch/xUnfetch, so it never maps the database and
      // every write goes through xWrite.
      .iVersion = 2,
      .xClose = Close,
      .xRead = Read,
      .xWrite = Write,
      .xTruncate = Truncate,
      .xSync = Sync,
      .xFileSize = FileSize,
      .xLock = Lock,
      .xUnlock = Unlock,
      .xCheckReservedLock = CheckReservedLock,
      .xFileControl = FileControl,
      .xSectorSize = SectorSize,
      .xDeviceCharacteristics = DeviceCharacteristics,
      .xShmMap = ShmMap,
      .xShmLock = ShmLock,
      .xShmBarrier = ShmBarrier,
      .xShmUnmap = ShmUnmap,
      .xFetch = nullptr,
      .xUnfetch = nullptr,
  };

  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                  int* out_flags) {
    File* self = AsFile(file);
    self->vfs = Self(vfs);
    self->name = name;
    self->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kFileHeader);
    const int rc = RealVfs(vfs)->xOpen(RealVfs(vfs), name, self->real, flags, out_flags);
    if (rc != SQLITE_OK) {
      self->base.pMethods = nullptr;  // so that SQLite does not call our xClose
      return rc;
    }
    self->base.pMethods = &kIoMethods;
    if (name != nullptr && !self->vfs->synced_.contains(name)) {
      // What is there already was there before the test: durable.
      if (!ReadWholeFile(name, &self->vfs->synced_[name])) {
        self->real->pMethods->xClose(self->real);
        self->base.pMethods = nullptr;
        return SQLITE_IOERR_READ;
      }
    }
    return SQLITE_OK;
  }
  static int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    Self(vfs)->synced_.erase(name);
    return RealVfs(vfs)->xDelete(RealVfs(vfs), name, sync_dir);
  }
  static int Access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
    return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, result);
  }
  static int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
    return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, size, out);
  }
  static void* DlOpen(sqlite3_vfs* vfs, const char* name) {
    return RealVfs(vfs)->xDlOpen(RealVfs(vfs), name);
  }
  static void DlError(sqlite3_vfs* vfs, int size, char* out) {
    RealVfs(vfs)->xDlError(RealVfs(vfs), size, out);
  }
  static void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
    return RealVfs(vfs)->xDlSym(RealVfs(vfs), handle, symbol);
  }
  static void DlClose(sqlite3_vfs* vfs, void* handle) {
    RealVfs(vfs)->xDlClose(RealVfs(vfs), handle);
  }
  static int Randomness(sqlite3_vfs* vfs, int size, char* out) {
    return RealVfs(vfs)->xRandomness(RealVfs(vfs), size, out);
  }
  static int Sleep(sqlite3_vfs* vfs, int microseconds) {
    return RealVfs(vfs)->xSleep(RealVfs(vfs), microseconds);
  }
  static int CurrentTime(sqlite3_vfs* vfs, double* now) {
    return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), now);
  }
  static int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
    return RealVfs(vfs)->xGetLastError(RealVfs(vfs), size, out);
  }
  static int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* now) {
    return RealVfs(vfs)->xCurrentTimeInt64(RealVfs(vfs), now);
  }
};

PowerCutVfs::PowerCutVfs() : real_(sqlite3_vfs_find("unix")), vfs_(new sqlite3_vfs{}) {
  if (real_ == nullptr) {
    throw std::runtime_error("PowerCutVfs: SQLite has no \"unix\" VFS");
  }
  sqlite3_vfs& vfs = *vfs_;
  vfs.iVersion = 2;  // up to xCurrentTimeInt64: no system-call overrides to forward
  vfs.szOsFile = kFileHeader + real_->szOsFile;
  vfs.mxPathname = real_->mxPathname;
  vfs.zName = kName;
  vfs.pAppData = this;
  vfs.xOpen = Callbacks::Open;
  vfs.xDelete = Callbacks::Delete;
  vfs.xAccess = Callbacks::Access;
  vfs.xFullPathname = Callbacks::FullPathname;
  vfs.xDlOpen = Callbacks::DlOpen;
  vfs.xDlError = Callbacks::DlError;
  vfs.xDlSym = Callbacks::DlSym;
  vfs.xDlClose = Callbacks::DlClose;
  vfs.xRandomness = Callbacks::Randomness;
  vfs.xSleep = Callbacks::Sleep;
  vfs.xCurrentTime = Callbacks::CurrentTime;
  vfs.xGetLastError = Callbacks::GetLastError;
  vfs.xCurrentTimeInt64 = Callbacks::CurrentTimeInt64;
  if (const int rc = sqlite3_vfs_register(vfs_.get(), /*makeDflt=*/1); rc != SQLITE_OK) {
    throw std::runtime_error(
        absl::StrCat("PowerCutVfs: cannot register the VFS: ", sqlite3_errstr(rc)));
  }
}

PowerCutVfs::~PowerCutVfs() { sqlite3_vfs_unregister(vfs_.get()); }

absl::Status PowerCutVfs::CutPower() {
  for (const auto& [path, content] : synced_) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      return absl::InternalError(
          absl::StrCat("PowerCutVfs: cannot rewrite ", path, ": ", std::strerror(errno)));
    }
    std::error_code error;
    std::filesystem::remove(path + "-shm", error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("PowerCutVfs: cannot remove ", path, "-shm: ", error.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace jobq::testing
