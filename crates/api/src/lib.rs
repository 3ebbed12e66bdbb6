//! The gRPC contract, generated from `proto/` at build time with no system `protoc`.
//!
//! One module per proto package; the services and the tests use these types. Conversions into
//! domain commands live with each service, so this crate stays a plain copy of the contract,
//! with the codec its generated code uses (`codec`).

#![allow(unreachable_pub, clippy::all)]

pub mod codec;

pub mod common {
    pub mod v1 {
        tonic::include_proto!("vern.common.v1");
    }
}
pub mod intake {
    pub mod v1 {
        tonic::include_proto!("vern.intake.v1");
    }
}
pub mod investigation {
    pub mod v1 {
        tonic::include_proto!("vern.investigation.v1");
    }
}
pub mod measures {
    pub mod v1 {
        tonic::include_proto!("vern.measures.v1");
    }
}
pub mod feedback {
    pub mod v1 {
        tonic::include_proto!("vern.feedback.v1");
    }
}
pub mod worklist {
    pub mod v1 {
        tonic::include_proto!("vern.worklist.v1");
    }
}
pub mod audit {
    pub mod v1 {
        tonic::include_proto!("vern.audit.v1");
    }
}
pub mod partner {
    pub mod v1 {
        tonic::include_proto!("vern.partner.v1");
    }
}

/// Every file of the contract with its imports, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/vern_descriptor.bin"));
