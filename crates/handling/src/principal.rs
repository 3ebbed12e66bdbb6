//! Who is calling. The server's authentication layer verifies the bearer token, parses what
//! it says once, and leaves a [`Principal`] in the request's extensions; services read it to
//! decide what the caller reaches and to stamp events with their actor. From here on a role is
//! a [`Role`] and a municipality a [`MunicipalityNumber`], never a string to compare.

use std::collections::BTreeSet;

use domain::municipality::MunicipalityNumber;
use eventstore::Actor;
use platform::auth::Role;
use tonic::Request;

use crate::Error;

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// The municipalities its token names: the data it reaches.
    pub municipalities: BTreeSet<MunicipalityNumber>,
}

/// Why a verified token makes no principal.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// A role no one has: it may do nothing.
    #[error("the role {0:?} may do nothing here")]
    UnknownRole(String),
    /// A municipality number that does not exist.
    #[error("token names {0:?}, which is not a municipality")]
    UnknownMunicipality(String),
}

impl Principal {
    /// The principal a verified token's claims make: its role and municipalities parsed
    /// once, here, for every entry point (the gRPC server and the dashboard).
    pub fn from_claims(
        claims: &platform::auth::Claims,
        registry: &domain::municipality::MunicipalityRegistry,
    ) -> Result<Self, ClaimsError> {
        let role = Role::parse(&claims.role)
            .ok_or_else(|| ClaimsError::UnknownRole(claims.role.clone()))?;
        let municipalities = claims
            .municipalities
            .iter()
            .map(|number| {
                // As numbered now: a token naming a number the 2024 reform retired serves its
                // successor.
                MunicipalityNumber::parse("municipalities", number, registry)
                    .map(|number| registry.current(number))
                    .map_err(|_| ClaimsError::UnknownMunicipality(number.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            subject: claims.sub.clone(),
            role,
            municipalities,
        })
    }

    pub fn of<T>(request: &Request<T>) -> Result<Principal, Error> {
        request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or(Error::Unauthenticated)
    }

    /// Refuses `what` (a case or report, loaded) unless it exists and belongs to a
    /// municipality this principal serves (as numbered now, so a case recorded under a number
    /// the 2024 reform retired is its successor's); the one answer for both, so a refusal does
    /// not tell whether it exists.
    pub fn reach(
        &self,
        what: &'static str,
        municipality: Option<&MunicipalityNumber>,
    ) -> Result<(), Error> {
        match municipality {
            Some(number)
                if self
                    .municipalities
                    .contains(&domain::municipality::current(*number)) =>
            {
                Ok(())
            }
            _ => Err(Error::OutOfReach(what)),
        }
    }

    /// Refuses a new `what` (a report received) for a municipality this principal does not
    /// serve, naming the municipality: it is the caller's own input, so saying so reveals
    /// nothing.
    pub fn may_create(
        &self,
        what: &'static str,
        municipality: Option<&MunicipalityNumber>,
    ) -> Result<(), Error> {
        match municipality {
            Some(number)
                if !self
                    .municipalities
                    .contains(&domain::municipality::current(*number)) =>
            {
                Err(Error::Denied(format!(
                    "municipality: {}",
                    crate::policy::OutOfScope::NotServed(*number)
                )))
            }
            _ => self.reach(what, municipality),
        }
    }

    /// A list's municipality filter (`field`), narrowed to what this principal serves: the
    /// municipalities asked for, each of which it must serve, or all it serves. A refusal
    /// names the entry (`field[i]`) when several were asked for.
    pub fn scope(
        &self,
        field: &str,
        asked: &[MunicipalityNumber],
    ) -> Result<Vec<MunicipalityNumber>, Error> {
        crate::policy::scope(&self.municipalities, asked).map_err(|refused| {
            let field = match refused {
                crate::policy::OutOfScope::NotServed(number) if asked.len() > 1 => asked
                    .iter()
                    .position(|asked| *asked == number)
                    .map_or_else(|| field.to_owned(), |index| format!("{field}[{index}]")),
                _ => field.to_owned(),
            };
            Error::Denied(format!("{field}: {refused}"))
        })
    }

    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            role: self.role.name().to_owned(),
            municipality: self
                .municipalities
                .first()
                .map(|number| number.as_str().to_owned()),
        }
    }
}
