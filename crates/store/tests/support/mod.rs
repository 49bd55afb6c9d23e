//! Scratch database files for the integration tests: unique names under the temp folder,
//! removed with their WAL files when dropped.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A database path under `std::env::temp_dir()` that no other test uses; the file and its
/// `-wal`, `-shm` and `-journal` companions are removed on drop.
#[derive(Debug)]
pub struct TempDb(PathBuf);

impl TempDb {
    pub fn new() -> TempDb {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!(
            "warden-store-test-{}-{}-{nanos}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        TempDb(std::env::temp_dir().join(name))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of a companion file, such as `-wal`.
    #[allow(dead_code, reason = "not every test binary looks at companion files")]
    pub fn companion(&self, suffix: &str) -> PathBuf {
        let mut path = OsString::from(self.0.as_os_str());
        path.push(suffix);
        PathBuf::from(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(self.companion(suffix));
        }
    }
}
