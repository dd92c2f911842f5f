//! Standard output that never panics. `println!` panics when the reader
//! has gone (`resim check m.toml | head -1`) or the disk is full
//! (`> /dev/full`). Here a closed pipe silently drops the rest of the
//! output while the run goes on (its result folder is still written) and
//! the exit code stays 0, as `cat` or `grep` do; any other write error is
//! kept and reported once at the end, with exit code 1. We keep Rust's
//! default of ignoring SIGPIPE rather than resetting it, so a closed pipe
//! never kills the process half-way through writing its results.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// The first write error, if any.
static FAILED: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes formatted text to stdout, dropping it once a write has failed.
pub fn write(args: fmt::Arguments) {
    let mut failed = FAILED.lock().unwrap_or_else(|e| e.into_inner());
    if failed.is_some() {
        return;
    }
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        *failed = Some(e);
    }
}

/// Flushes stdout; returns the write error to report, if one happened
/// (a closed pipe is not one).
pub fn finish() -> Option<io::Error> {
    let mut failed = FAILED.lock().unwrap_or_else(|e| e.into_inner());
    if failed.is_none()
        && let Err(e) = io::stdout().lock().flush()
    {
        *failed = Some(e);
    }
    failed
        .take()
        .filter(|e| e.kind() != io::ErrorKind::BrokenPipe)
}
