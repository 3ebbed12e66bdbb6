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

    /// Refuses `what` (a case or report, loaded) unless it exists and belongs to a
    /// municipality this principal serves; the one answer for both, so a refusal does not tell
    /// whether it exists.
    pub fn reach(&self, what: &'static str, municipality: Option<&str>) -> Result<(), Error> {
        match municipality {
            Some(number) if crate::policy::serves(&self.municipalities, number) => Ok(()),
            _ => Err(Error::OutOfReach(what)),
        }
    }

    /// Refuses a new `what` (a report received) for a municipality this principal does not
    /// serve, naming the municipality: it is the caller's own input, so saying so reveals
    /// nothing.
    pub fn may_create(&self, what: &'static str, municipality: Option<&str>) -> Result<(), Error> {
        match municipality {
            Some(number) if !crate::policy::serves(&self.municipalities, number) => {
                Err(Error::Denied(format!(
                    "municipality: {}",
                    crate::policy::OutOfScope::NotServed(number)
                )))
            }
            _ => self.reach(what, municipality),
        }
    }

    /// A list's municipality filter (`field`), narrowed to what this principal serves: the
    /// municipalities asked for, each of which it must serve, or all it serves. A refusal
    /// names the entry (`field[i]`) when several were asked for.
    pub fn scope(&self, field: &str, asked: &[String]) -> Result<Vec<String>, Error> {
        crate::policy::scope(&self.municipalities, asked).map_err(|refused| {
            let field = match refused {
                crate::policy::OutOfScope::NotServed(number) if asked.len() > 1 => asked
                    .iter()
                    .position(|asked| asked == number)
                    .map_or_else(|| field.to_owned(), |index| format!("{field}[{index}]")),
                _ => field.to_owned(),
            };
            Error::Denied(format!("{field}: {refused}"))
        })
    }

    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            role: self.role.clone(),
            municipality: self.municipalities.first().cloned(),
        }
    }
}
