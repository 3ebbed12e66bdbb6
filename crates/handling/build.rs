// `sqlx::migrate!` embeds the migrations when the crate compiles; without this, a migration
// added to the directory would not be in the next incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
