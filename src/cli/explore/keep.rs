//! Kept files are written whole or not at all, so that an interrupted explore leaves the
//! smallest timeline so far, never half of one.

use std::io::Write as _;
use std::path::Path;

/// Writes `text` to `file` whole or not at all (a temporary file renamed over it).
pub fn keep(file: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = file.with_extension("yaml.partial");
    let mut out = std::fs::File::create(&temporary)?;
    out.write_all(text.as_bytes())?;
    out.sync_all()?;
    std::fs::rename(&temporary, file)
}
