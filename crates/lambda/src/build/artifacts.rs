//! Whether a function's built artifacts are still current: a stamp beside the artifacts
//! folder holds what the build depended on (its method and settings, the tool, and the
//! count, newest modification and size of the files under the sources); the same stamp on
//! the next start means the build is skipped.

use std::path::{Path, PathBuf};

/// What a build's artifacts depend on, and where they are.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The folder the build writes (`ARTIFACTS_DIR`, esbuild's `--outdir`).
    pub dir: PathBuf,
    stamp: PathBuf,
    inputs: String,
}

/// Folders under the sources a build does not read, or that it writes itself; a change of
/// dependencies shows in `package.json` or the lockfile.
const SKIP: [&str; 4] = [".git", ".aws-sam", ".gatehouse", "node_modules"];

impl Artifacts {
    /// The artifacts of a build into `dir` from the sources under `source`, with `settings`
    /// (the method, its properties, the tool's path and version). Blocking: it walks `source`.
    pub fn new(dir: PathBuf, source: &Path, settings: &str) -> Artifacts {
        let (files, newest, size) = crate::deps::fingerprint(source, &SKIP);
        let inputs = format!("{settings}\n{files} {newest:?} {size}\n");
        let mut stamp = dir.clone().into_os_string();
        stamp.push(".built");
        Artifacts {
            dir,
            stamp: PathBuf::from(stamp),
            inputs,
        }
    }

    /// Whether the artifacts were built from exactly these inputs (and are still there).
    pub fn current(&self) -> bool {
        self.dir.is_dir() && std::fs::read_to_string(&self.stamp).is_ok_and(|s| s == self.inputs)
    }

    /// An empty artifacts folder, the stamp gone until [`Artifacts::done`].
    pub fn fresh(&self) -> Result<(), super::BuildError> {
        let _ = std::fs::remove_file(&self.stamp);
        crate::deps::fresh(&self.dir).map_err(|e| {
            super::BuildError::step("cannot prepare the artifacts folder", e.to_string())
        })
    }

    /// Records that the artifacts are built from these inputs. Best effort: without the stamp
    /// the next start builds again.
    pub fn done(&self) {
        let _ = common::fs::write_private(&self.stamp, self.inputs.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_current_until_its_sources_or_settings_change() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let src = tmp.path().join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("app.ts"), "export const handler = 1;\n").expect("write");
        let out = tmp.path().join("build/Fn");
        let a = Artifacts::new(out.clone(), &src, "esbuild {}");
        assert!(!a.current(), "never built");
        a.fresh().expect("fresh");
        a.done();
        assert!(Artifacts::new(out.clone(), &src, "esbuild {}").current());
        // Other settings.
        assert!(!Artifacts::new(out.clone(), &src, "esbuild {\"minify\":false}").current());
        // An edited source (another size).
        std::fs::write(src.join("app.ts"), "export const handler = 22;\n").expect("write");
        assert!(!Artifacts::new(out.clone(), &src, "esbuild {}").current());
        // Git's own files are not sources.
        let a = Artifacts::new(out.clone(), &src, "esbuild {}");
        a.done();
        std::fs::create_dir_all(src.join(".git")).expect("mkdir");
        std::fs::write(src.join(".git/HEAD"), "ref").expect("write");
        assert!(Artifacts::new(out.clone(), &src, "esbuild {}").current());
        // The artifacts gone.
        std::fs::remove_dir_all(&out).expect("rm");
        assert!(!Artifacts::new(out, &src, "esbuild {}").current());
    }
}
