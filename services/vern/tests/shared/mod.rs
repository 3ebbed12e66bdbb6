//! What the binary's tests share.

use std::path::Path;

/// The embedded server's URL, from the files `vern up` keeps in its data directory.
pub(crate) fn embedded_url(data_dir: &Path) -> String {
    let password = std::fs::read_to_string(data_dir.join("credentials")).unwrap();
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).unwrap();
    let port = pid_file.lines().nth(3).unwrap().trim();
    format!(
        "postgres://postgres:{}@127.0.0.1:{port}/postgres",
        password.trim()
    )
}
