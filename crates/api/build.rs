//! Compiles `proto/` with protox (pure Rust, no system protoc) and writes the descriptor set
//! that server reflection serves.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: a target directory shared
    // by two checkouts reuses one compiled script for both.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files: Vec<PathBuf> = [
        "common",
        "intake",
        "investigation",
        "measures",
        "feedback",
        "worklist",
        "audit",
        "partner",
    ]
    .iter()
    .map(|name| proto_root.join(format!("vern/{name}/v1/{name}.proto")))
    .collect();
    // Served by reflection so clients can read the error details; its generated Rust is unused
    // (tonic-types has the same messages).
    files.push(proto_root.join("google/rpc/error_details.proto"));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;
    let descriptors = compiler.file_descriptor_set();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("vern_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // A request that does not decode is the caller's error (src/codec.rs).
        .codec_path("crate::codec::Codec")
        .compile_fds(descriptors)?;
    Ok(())
}
