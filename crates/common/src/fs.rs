//! Files only their owner can read: the state dir is 0700 and every file in it 0600, created
//! that way (never readable by others, not even for a moment) and tightened when found looser.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` (and its parents) as 0700 if missing, and makes it 0700 if it exists.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// Opens `path` for writing, created 0600 if missing.
pub fn open_private(path: &Path, append: bool) -> std::io::Result<fs::File> {
    let mut opts = OpenOptions::new();
    opts.create(true).mode(0o600);
    if append {
        opts.append(true);
    } else {
        opts.write(true);
    }
    opts.open(path)
}

/// Writes `bytes` to `path` atomically (a 0600 temporary file renamed over it).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    fs::rename(&tmp, path)
}

/// Makes every folder under `dir` (itself included) 0700 and every file 0600; returns how
/// many were looser.
pub fn tighten(dir: &Path) -> std::io::Result<usize> {
    let mut changed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        changed += usize::from(set_mode(&d, 0o700)?);
        for e in fs::read_dir(&d)? {
            let e = e?;
            let kind = e.file_type()?;
            if kind.is_dir() {
                stack.push(e.path());
            } else if kind.is_file() {
                changed += usize::from(set_mode(&e.path(), 0o600)?);
            }
        }
    }
    Ok(changed)
}

/// Sets `path`'s permission bits to `mode` when they differ; whether they did.
fn set_mode(path: &Path, mode: u32) -> std::io::Result<bool> {
    let now = fs::metadata(path)?.permissions().mode() & 0o777;
    if now == mode {
        return Ok(false);
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_folders_are_created_and_tightened() {
        let root = std::env::temp_dir().join(format!("common-fs-{}", std::process::id()));
        let dir = root.join("state");
        create_private_dir(&dir).expect("dir");
        assert_eq!(mode(&dir), 0o700);
        write_private(&dir.join("a.json"), b"{}").expect("write");
        assert_eq!(mode(&dir.join("a.json")), 0o600);
        // A file and a folder others can read, as an older version left them.
        fs::write(dir.join("loose"), b"x").expect("write");
        fs::set_permissions(dir.join("loose"), fs::Permissions::from_mode(0o644)).expect("chmod");
        fs::create_dir(dir.join("keys")).expect("mkdir");
        fs::set_permissions(dir.join("keys"), fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(tighten(&dir).expect("tighten"), 2);
        assert_eq!(
            (mode(&dir.join("loose")), mode(&dir.join("keys"))),
            (0o600, 0o700)
        );
        assert_eq!(tighten(&dir).expect("again"), 0, "nothing left to tighten");
        fs::remove_dir_all(&root).expect("clean up");
    }
}
