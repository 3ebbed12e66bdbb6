//! Who is calling. The server's authentication layer verifies the bearer token and leaves a
//! [`Principal`] in the request's extensions; services read it to stamp events with their actor.

use eventstore::Actor;
use tonic::Request;

use crate::Error;

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: String,
    pub municipalities: Vec<String>,
}

impl Principal {
    pub fn of<T>(request: &Request<T>) -> Result<Principal, Error> {
        request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or(Error::Unauthenticated)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            role: self.role.clone(),
            municipality: self.municipalities.first().cloned(),
        }
    }
}
