//! The codec the generated services and clients use: tonic-prost's, except that a message that
//! does not decode is answered `INVALID_ARGUMENT`.
//!
//! Why: tonic-prost answers `INTERNAL`, the gRPC project's advice for a codec failing on data
//! of a trusted peer. A server's peer is any caller, and a request that is not valid protobuf,
//! or holds a `string` that is not UTF-8, is the caller's to fix: `INTERNAL` would tell an
//! integrator to look for our fault, and to retry.

use std::marker::PhantomData;

use bytes::{Buf as _, BufMut as _};

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, DecodeBuf};
use tonic_prost::{ProstCodec, ProstEncoder};

/// tonic-prost's codec with [`Decoder`] for decoding.
#[derive(Debug, Clone)]
pub struct Codec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
        }
    }
}

impl<T, U> tonic::codec::Codec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = Decoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic::codec::Codec::encoder(&mut self.inner)
    }

    fn decoder(&mut self) -> Self::Decoder {
        Decoder(PhantomData)
    }
}

/// Decodes `U`; a message that does not is `INVALID_ARGUMENT`, naming why.
#[derive(Debug)]
pub struct Decoder<U>(PhantomData<U>);

impl<U: Message + Default> tonic::codec::Decoder for Decoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf)
            .map(Some)
            .map_err(|error| undecodable(&error))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// `INVALID_ARGUMENT` for a message that does not decode, with a `google.rpc.BadRequest`
/// naming the field where decoding stopped (`reporter.kind.name`: prost names a oneof by the
/// oneof, not the case), or `request` when it
/// stopped outside any field.
fn undecodable(error: &prost::DecodeError) -> Status {
    use tonic_types::{ErrorDetails, StatusExt as _};
    let (field, reason) = field_of(error);
    let mut details = ErrorDetails::new();
    details.add_bad_request_violation(field.clone(), reason.clone());
    Status::with_error_details(
        tonic::Code::InvalidArgument,
        format!("invalid request: {field} {reason}"),
        details,
    )
}

/// The field path and the reason in prost's description of a decoding error, which reads
/// `failed to decode Protobuf message: Inner.field: Outer.field: <reason>`, innermost first.
fn field_of(error: &prost::DecodeError) -> (String, String) {
    let text = error.to_string();
    let text = text
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(&text);
    let is_step = |part: &&&str| {
        part.split_once('.').is_some_and(|(message, field)| {
            !message.is_empty()
                && !field.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
    };
    let parts: Vec<&str> = text.split(": ").collect();
    let steps = parts.iter().take_while(is_step).count();
    let path: Vec<&str> = parts[..steps]
        .iter()
        .rev()
        .filter_map(|step| step.split_once('.').map(|(_, field)| field))
        .collect();
    let reason = format!("is not valid protobuf: {}", parts[steps..].join(": "));
    if path.is_empty() {
        ("request".to_owned(), reason)
    } else {
        (path.join("."), reason)
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn an_undecodable_message_names_the_field_where_decoding_stopped() {
        // Field 1 (a string) holding bytes that are not UTF-8.
        let error = crate::intake::v1::SubmitReportRequest::decode(&[0x0a, 0x02, 0xc3, 0x28][..])
            .expect_err("not UTF-8");
        let (field, reason) = field_of(&error);
        assert_eq!(field, "command_id");
        assert!(reason.contains("UTF-8"), "{reason}");
        // A nested message's string.
        let nested = crate::intake::v1::SubmitReportRequest {
            reporter: Some(crate::intake::v1::Reporter {
                kind: Some(crate::intake::v1::reporter::Kind::Public(
                    crate::intake::v1::PublicReporter {
                        name: "KARI".into(),
                        ..Default::default()
                    },
                )),
            }),
            ..Default::default()
        };
        let mut bytes = nested.encode_to_vec();
        let at = bytes
            .windows(4)
            .position(|window| window == b"KARI")
            .expect("the name is in the bytes");
        bytes[at] = 0xff;
        let error = crate::intake::v1::SubmitReportRequest::decode(&bytes[..]).expect_err("bad");
        // prost names a oneof by its own name (`kind`), not the case it holds (`public`).
        assert_eq!(field_of(&error).0, "reporter.kind.name");
        // Nothing readable at all.
        let error = crate::intake::v1::SubmitReportRequest::decode(&[0xff, 0xff, 0xff][..])
            .expect_err("bad");
        assert_eq!(field_of(&error).0, "request");
    }
}

/// Sends and receives protobuf bytes as they are, for a client that builds its messages from
/// descriptors, not from generated types (the history import, the fuzz test).
#[derive(Clone, Copy, Default)]
pub struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Self::Error> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}
