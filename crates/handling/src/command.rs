//! What a command is, as the caller sent it: the id the caller chose and a fingerprint of
//! what it sent with that id.
//!
//! Why a fingerprint: a command id makes a retry safe (the first answer again, nothing
//! written twice), but only if a retry is what it is. An id sent again with another method or
//! other content is a mistake of the caller's; answered as a replay, the second command
//! would be dropped without a word. The store keeps the fingerprint with the command's
//! result and refuses the id with anything else ([`crate::Error::command_id_reused`]).

use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::Error;

/// The gRPC method a call was made to (`/vern.intake.v1.IntakeService/SubmitReport`), left in
/// the request's extensions by the server's authentication layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalledMethod(pub String);

/// A command's id and fingerprint, and when the caller says its step was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandKey {
    pub id: Uuid,
    pub fingerprint: [u8; 32],
    /// The step's time as sent (`decided_at` and `late_reason`); the domain checks it against
    /// the stream ([`domain::step::StepTime::decide`]). Part of the fingerprint, as all the
    /// request is.
    pub dating: domain::step::Dating,
}

impl CommandKey {
    /// The key of a command `id` whose content is `parts` (the method first): SHA-256 over
    /// each part, length-prefixed, so no two different lists of parts hash alike.
    pub fn new(id: Uuid, parts: &[&[u8]]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Self {
            id,
            fingerprint: hash.finalize().into(),
            dating: domain::step::Dating::now(),
        }
    }

    /// The same command, its step dated as the request says.
    pub fn dated(self, dating: domain::step::Dating) -> Self {
        Self { dating, ..self }
    }

    /// The key of a gRPC request: `command_id` (the request's field, checked as
    /// [`crate::convert::command_id`] checks it) and a fingerprint over the method called and
    /// the request encoded again from what was decoded. Re-encoding makes it canonical: the
    /// same fields and values give the same bytes, however the sender ordered or padded them.
    pub fn of<R: prost::Message>(
        request: &tonic::Request<R>,
        command_id: &str,
    ) -> Result<Self, Error> {
        let id = crate::convert::command_id(command_id)?;
        let method = request
            .extensions()
            .get::<CalledMethod>()
            .map_or("", |method| method.0.as_str());
        Ok(Self::new(
            id,
            &[method.as_bytes(), &request.get_ref().encode_to_vec()],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_gives_the_same_key_and_any_difference_another() {
        let id = Uuid::from_u128(7);
        let key = CommandKey::new(id, &[b"/a/B", b"content"]);
        assert_eq!(key, CommandKey::new(id, &[b"/a/B", b"content"]));
        assert_ne!(key, CommandKey::new(id, &[b"/a/C", b"content"]));
        assert_ne!(key, CommandKey::new(id, &[b"/a/B", b"content!"]));
        // Where one part ends and the next begins counts.
        assert_ne!(
            CommandKey::new(id, &[b"/a/B", b"content"]).fingerprint,
            CommandKey::new(id, &[b"/a/Bc", b"ontent"]).fingerprint
        );
    }
}
