//! Result folders that never lose earlier results.
//!
//! Every run writes into one [`OutputDir`]. Without `--out`, the folder is
//! numbered (`results/availability-001`, `-002`, …) and created atomically,
//! so two concurrent runs never share one. With `--out`, a folder that
//! already holds files is refused rather than overwritten. Each file is
//! written to a temporary name in the same folder and renamed into place,
//! so a reader never sees half a file and a crash leaves no partial result
//! under the final name.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An error preparing an output folder or writing a file into it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The explicit output folder already holds files from an earlier run.
    #[error(
        "output folder '{}' already holds files; pass another --out or remove it",
        path.display()
    )]
    NotEmpty {
        /// The folder that was refused.
        path: PathBuf,
    },
    /// The output path exists but is not a folder.
    #[error("output path '{}' exists and is not a folder", path.display())]
    NotAFolder {
        /// The offending path.
        path: PathBuf,
    },
    /// Every numbered folder name under the base is taken.
    #[error("no free numbered folder for '{stem}' under '{}'", base.display())]
    Exhausted {
        /// The base folder that was searched.
        base: PathBuf,
        /// The stem of the numbered folder names.
        stem: String,
    },
    /// A stem or file name is empty or not a plain name (it holds a path
    /// separator or is `.` or `..`).
    #[error("'{name}' is not a plain file name")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// An I/O operation on `path` failed.
    #[error("cannot {action} '{}': {source}", path.display())]
    Io {
        /// What was being done, e.g. `create folder`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl OutputError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| OutputError::Io {
            action,
            path,
            source,
        }
    }
}

/// Largest number tried for a numbered folder (`<stem>-9999`).
const MAX_NUMBER: u32 = 9999;

/// Distinguishes temporary files of concurrent writes in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A folder that receives one run's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    root: PathBuf,
}

impl OutputDir {
    /// Prepare the folder for a new run.
    ///
    /// With `explicit = Some(dir)`: create `dir` (and its parents) if
    /// missing; accept it if it exists and is empty; refuse it with
    /// [`OutputError::NotEmpty`] if it holds anything.
    ///
    /// With `explicit = None`: create `default_base/<stem>-NNN` for the first
    /// `NNN` (`001`, `002`, …) whose folder does not exist. Each candidate is
    /// created with a single `create_dir`, so concurrent runs each get their
    /// own folder.
    pub fn prepare(
        explicit: Option<&Path>,
        default_base: &Path,
        stem: &str,
    ) -> Result<OutputDir, OutputError> {
        match explicit {
            Some(dir) => Self::prepare_explicit(dir),
            None => Self::prepare_numbered(default_base, stem),
        }
    }

    /// Use `dir` as it is, creating it if missing, without the emptiness
    /// check of [`OutputDir::prepare`]. For adding files to a folder this
    /// run already owns (for example a sub-folder per scenario).
    pub fn open(dir: &Path) -> Result<OutputDir, OutputError> {
        fs::create_dir_all(dir).map_err(OutputError::io("create folder", dir))?;
        if !dir.is_dir() {
            return Err(OutputError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        Ok(OutputDir {
            root: dir.to_path_buf(),
        })
    }

    fn prepare_explicit(dir: &Path) -> Result<OutputDir, OutputError> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(OutputError::io("create folder", parent))?;
        }
        match fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !dir.is_dir() {
                    return Err(OutputError::NotAFolder {
                        path: dir.to_path_buf(),
                    });
                }
                let mut entries = fs::read_dir(dir).map_err(OutputError::io("read folder", dir))?;
                if entries.next().is_some() {
                    return Err(OutputError::NotEmpty {
                        path: dir.to_path_buf(),
                    });
                }
            }
            Err(e) => return Err(OutputError::io("create folder", dir)(e)),
        }
        // An existing folder may be read-only: find out now, not after the run.
        let probe = dir.join(".resim-write-check");
        fs::write(&probe, b"").map_err(OutputError::io("write into folder", dir))?;
        let _ = fs::remove_file(&probe);
        Ok(OutputDir {
            root: dir.to_path_buf(),
        })
    }

    fn prepare_numbered(base: &Path, stem: &str) -> Result<OutputDir, OutputError> {
        check_plain_name(stem)?;
        fs::create_dir_all(base).map_err(OutputError::io("create folder", base))?;
        // Start after the highest number present, so folders sort in the
        // order the runs were made even when earlier ones were deleted.
        let highest = fs::read_dir(base)
            .map_err(OutputError::io("read folder", base))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let n = name.strip_prefix(stem)?.strip_prefix('-')?;
                (n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| n.parse::<u32>().ok())?
            })
            .max()
            .unwrap_or(0);
        for n in highest + 1..=MAX_NUMBER {
            let candidate = base.join(format!("{stem}-{n:03}"));
            match fs::create_dir(&candidate) {
                Ok(()) => return Ok(OutputDir { root: candidate }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(OutputError::io("create folder", &candidate)(e)),
            }
        }
        Err(OutputError::Exhausted {
            base: base.to_path_buf(),
            stem: stem.to_string(),
        })
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path `name` has inside the folder (nothing is created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Write `bytes` to `name` atomically (temporary file in the same folder,
    /// flushed, then renamed into place) and return the final path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<PathBuf, OutputError> {
        self.write_with(name, |tmp| {
            let mut file = fs::File::create(tmp).map_err(OutputError::io("create", tmp))?;
            file.write_all(bytes.as_ref())
                .and_then(|()| file.sync_all())
                .map_err(OutputError::io("write", tmp))
        })
    }

    /// A file written piece by piece under a temporary name in the folder,
    /// renamed to `name` by [`Streamed::finish`] (removed if dropped
    /// unfinished): for results too large to hold in memory.
    pub fn stream(&self, name: &str) -> Result<Streamed, OutputError> {
        check_plain_name(name)?;
        let tmp = self.temp_path(name);
        let file = fs::File::create(&tmp).map_err(OutputError::io("create", &tmp))?;
        Ok(Streamed {
            file: Some(io::BufWriter::new(file)),
            target: self.path(name),
            tmp,
        })
    }

    fn temp_path(&self, name: &str) -> PathBuf {
        let seq = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.root
            .join(format!(".tmp-{}-{seq}-{name}", std::process::id()))
    }

    /// Let `produce` write the file at a temporary path, then rename it to
    /// `name` and return the final path. The temporary path ends with
    /// `name`, so its extension is the same (some encoders pick the format
    /// from it). On error the temporary file is removed.
    pub fn write_with<E, F>(&self, name: &str, produce: F) -> Result<PathBuf, E>
    where
        E: From<OutputError>,
        F: FnOnce(&Path) -> Result<(), E>,
    {
        check_plain_name(name)?;
        let tmp = self.temp_path(name);
        let target = self.path(name);
        let result = produce(&tmp).and_then(|()| {
            fs::rename(&tmp, &target)
                .map_err(OutputError::io("rename into", &target))
                .map_err(E::from)
        });
        if result.is_err() {
            // Best effort: the temporary file may not even exist.
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| target)
    }
}

/// A file being written by [`OutputDir::stream`].
pub struct Streamed {
    file: Option<io::BufWriter<fs::File>>,
    tmp: PathBuf,
    target: PathBuf,
}

impl Write for Streamed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open until finished").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open until finished").flush()
    }
}

impl Streamed {
    /// Flushes the file to disk and renames it into place.
    pub fn finish(mut self) -> Result<PathBuf, OutputError> {
        let file = self.file.take().expect("open until finished");
        file.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(OutputError::io("write", &self.tmp))?;
        fs::rename(&self.tmp, &self.target)
            .map_err(OutputError::io("rename into", &self.target))?;
        Ok(self.target.clone())
    }
}

impl Drop for Streamed {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn check_plain_name(name: &str) -> Result<(), OutputError> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.contains(std::path::MAIN_SEPARATOR);
    if plain {
        Ok(())
    } else {
        Err(OutputError::InvalidName {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, empty folder under the system temp folder, unique per test.
    pub(crate) fn scratch(test: &str) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "resim-test-{}-{}-{test}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn numbered_folders_count_up_after_the_highest() {
        let base = scratch("numbered");
        let a = OutputDir::prepare(None, &base, "drill").unwrap();
        let b = OutputDir::prepare(None, &base, "drill").unwrap();
        assert_eq!(a.root(), base.join("drill-001"));
        assert_eq!(b.root(), base.join("drill-002"));
        fs::remove_dir(base.join("drill-001")).unwrap();
        let c = OutputDir::prepare(None, &base, "drill").unwrap();
        assert_eq!(c.root(), base.join("drill-003"));
        fs::create_dir(base.join("drill-extra")).unwrap();
        let d = OutputDir::prepare(None, &base, "drill").unwrap();
        assert_eq!(d.root(), base.join("drill-004"));
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn numbered_folder_creates_missing_base() {
        let scratch = scratch("base");
        let base = scratch.join("deep").join("results");
        let a = OutputDir::prepare(None, &base, "availability").unwrap();
        assert!(a.root().is_dir());
        assert!(a.root().ends_with("availability-001"));
        fs::remove_dir_all(&scratch).unwrap();
    }

    #[test]
    fn concurrent_runs_get_distinct_folders() {
        let base = scratch("concurrent");
        let roots: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| OutputDir::prepare(None, &base, "run").unwrap()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().root().to_path_buf())
                .collect()
        });
        let mut sorted = roots.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 8, "{roots:?}");
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn explicit_folder_is_created_or_accepted_when_empty() {
        let base = scratch("explicit");
        let missing = base.join("a").join("b");
        let out = OutputDir::prepare(Some(&missing), Path::new("unused"), "x").unwrap();
        assert_eq!(out.root(), missing);
        assert!(missing.is_dir());
        // Existing and empty: fine.
        let again = OutputDir::prepare(Some(&missing), Path::new("unused"), "x").unwrap();
        assert_eq!(again.root(), missing);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn explicit_folder_with_files_is_refused() {
        let base = scratch("refuse");
        fs::write(base.join("summary.json"), b"{}").unwrap();
        let err = OutputDir::prepare(Some(&base), Path::new("unused"), "x").unwrap_err();
        assert!(matches!(err, OutputError::NotEmpty { .. }));
        let msg = err.to_string();
        assert!(msg.contains(&base.display().to_string()), "{msg}");
        assert!(msg.contains("--out"), "{msg}");
        assert!(!msg.ends_with('.'));
        // The earlier result is untouched.
        assert_eq!(fs::read(base.join("summary.json")).unwrap(), b"{}");
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn explicit_path_that_is_a_file_is_refused() {
        let base = scratch("file");
        let file = base.join("results");
        fs::write(&file, b"x").unwrap();
        let err = OutputDir::prepare(Some(&file), Path::new("unused"), "x").unwrap_err();
        assert!(matches!(err, OutputError::NotAFolder { .. }), "{err}");
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn write_is_atomic_and_leaves_no_temp_files() {
        let base = scratch("write");
        let out = OutputDir::open(&base).unwrap();
        let p = out.write("summary.json", b"{\"a\":1}").unwrap();
        assert_eq!(p, base.join("summary.json"));
        assert_eq!(fs::read(&p).unwrap(), b"{\"a\":1}");
        // Replacing goes through a rename as well.
        out.write("summary.json", "{\"a\":2}").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{\"a\":2}");
        let names: Vec<_> = fs::read_dir(&base)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("summary.json")]);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn failed_write_with_keeps_the_old_file_and_cleans_up() {
        let base = scratch("fail");
        let out = OutputDir::open(&base).unwrap();
        out.write("a.csv", "old").unwrap();
        let err = out
            .write_with("a.csv", |tmp| {
                fs::write(tmp, "half").unwrap();
                Err(OutputError::InvalidName {
                    name: "boom".into(),
                })
            })
            .unwrap_err();
        assert!(matches!(err, OutputError::InvalidName { .. }));
        assert_eq!(fs::read_to_string(base.join("a.csv")).unwrap(), "old");
        assert_eq!(fs::read_dir(&base).unwrap().count(), 1);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn names_with_separators_are_rejected() {
        let base = scratch("names");
        let out = OutputDir::open(&base).unwrap();
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(matches!(
                out.write(bad, b"x"),
                Err(OutputError::InvalidName { .. })
            ));
        }
        assert!(matches!(
            OutputDir::prepare(None, &base, "a/b"),
            Err(OutputError::InvalidName { .. })
        ));
        fs::remove_dir_all(&base).unwrap();
    }
}
