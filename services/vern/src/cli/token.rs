//! `vern token`: the installation's own tokens, issued and revoked, and the operator's and the
//! demo's written at start.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use platform::auth::{Claims, Role, SigningKey};

use super::{DatabaseArgs, LifetimeArgs, known_municipalities, print_lines, with_store};

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Print a token for local use: a person or a system with a role, serving municipalities.
    #[command(after_long_help = roles_help())]
    Issue {
        /// caseworker, team_leader, service_leader, reporter_portal, police, barnehus,
        /// supervisor or operator (what each may do: --help).
        #[arg(long)]
        role: String,
        /// A municipality (kommunenummer) the holder serves; repeat for an inter-municipal
        /// service.
        #[arg(long = "municipality", required = true)]
        municipalities: Vec<String>,
        /// Who holds it: a user id or a system's name.
        #[arg(long)]
        subject: String,
        /// How long it is valid, in hours: at most what --token-lifetimes allows the role.
        #[arg(long, default_value_t = 8)]
        hours: u32,
        #[command(flatten)]
        lifetimes: LifetimeArgs,
    },
    /// Revoke a token before its end, on every instance at once: by its id (printed when it
    /// was issued) or the token itself.
    Revoke {
        /// The token's id (jti), or the whole token.
        token: String,
        /// Why, kept with the revocation.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// What each role may do, from the policy's own table (`handling::policy::role_table`).
fn roles_help() -> String {
    format!(
        "What each role may do (the policy's table; the dashboard's pages beside):\n\n{}",
        handling::policy::role_table()
    )
}

/// Runs `vern token <command>`.
pub(crate) async fn run(command: TokenCommand, args: DatabaseArgs) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue {
            role,
            municipalities,
            subject,
            hours,
            lifetimes,
        } => issue_token(
            &role,
            municipalities,
            &subject,
            hours,
            &lifetimes.parse()?,
            &args.data_dir,
        ),
        TokenCommand::Revoke { token, reason } => {
            revoke_token(args, &token, reason.as_deref()).await
        }
    }
}

/// `vern token issue`: every flag checked, each error naming its flag, before the key is read.
fn issue_token(
    role: &str,
    municipalities: Vec<String>,
    subject: &str,
    hours: u32,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| {
        format!(
            "--role: {role:?} is not a role; use one of {}",
            Role::names()
        )
    })?;
    known_municipalities("--municipality", &municipalities)?;
    let subject = domain::values::BoundedText::short("--subject", subject)
        .map_err(|error| anyhow::anyhow!("{error}: give who holds the token"))?;
    let subject = subject.as_str();
    let max_hours = lifetimes.max_hours(role);
    anyhow::ensure!(
        (1..=max_hours).contains(&i64::from(hours)),
        "--hours: from 1 to {max_hours} for a {role} token (--token-lifetimes)"
    );
    let key = SigningKey::load(&data_dir.join("signing.key"))?;
    let claims = Claims::new(
        subject,
        role.name(),
        municipalities,
        chrono::Utc::now().timestamp(),
        i64::from(hours) * 3600,
    );
    // The token alone on standard output (for scripts); its id, to revoke it, beside it.
    eprintln!(
        "token id {} (revoke it with: vern token revoke {0})",
        claims.jti.as_deref().unwrap_or_default()
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{}", key.issue(&claims));
    }
    Ok(())
}

/// `vern token revoke`: refuses the token on every instance from now on.
async fn revoke_token(args: DatabaseArgs, token: &str, reason: Option<&str>) -> anyhow::Result<()> {
    let token = token.trim();
    // A token has dots; an id is what is left.
    let id = if token.contains('.') {
        platform::auth::token_id(token)
            .context("this token names no id (jti); it cannot be revoked by id")?
    } else {
        token.to_owned()
    };
    anyhow::ensure!(
        !id.is_empty() && id.len() <= 200,
        "give the token's id or the token itself"
    );
    let reason = reason
        .map(|reason| domain::values::BoundedText::short("--reason", reason))
        .transpose()
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    with_store(args, |store| async move {
        let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        let newly = handling::revocation::revoke(
            store.pool(),
            &id,
            &format!("vern token revoke ({operator})"),
            reason.as_ref().map(|reason| reason.as_str()),
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        print_lines(&[if newly {
            format!("token {id} revoked; every instance refuses it from now on")
        } else {
            format!("token {id} was revoked already")
        }]);
        anyhow::Ok(())
    })
    .await
}

/// A fresh token for the local operator at every start, in `<data-dir>/operator.token` (mode
/// 0600), living as long as an operator's may.
pub(crate) fn write_operator_token(
    key: &SigningKey,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<PathBuf> {
    let claims = longest_lived("operator", Role::Operator, Vec::new(), lifetimes);
    write_token(
        key,
        &claims,
        &data_dir.join("operator.token"),
        "operator token",
    )
}

/// With `--demo`: a service leader's token for the demo's five municipalities, in
/// `<data-dir>/demo.token`, so the dashboard can show the demo's cases at once (the operator's
/// token shows none). It lives as long as a service leader's may (a working day by default);
/// every start writes a new one.
pub(crate) fn write_demo_token(
    key: &SigningKey,
    lifetimes: &platform::auth::Lifetimes,
    data_dir: &Path,
) -> anyhow::Result<PathBuf> {
    let municipalities = vern::demo::VAERNES
        .iter()
        .map(|(number, _)| (*number).to_owned())
        .collect();
    let claims = longest_lived("demo-leder", Role::ServiceLeader, municipalities, lifetimes);
    write_token(
        key,
        &claims,
        &data_dir.join("demo.token"),
        "demo service leader's token",
    )
}

/// Claims for `subject` as `role`, from now for as long as `lifetimes` lets the role's tokens
/// live.
fn longest_lived(
    subject: &str,
    role: Role,
    municipalities: Vec<String>,
    lifetimes: &platform::auth::Lifetimes,
) -> Claims {
    Claims::new(
        subject,
        role.name(),
        municipalities,
        chrono::Utc::now().timestamp(),
        lifetimes.max_hours(role) * 3600,
    )
}

/// Signs `claims` and keeps the token in `path` (mode 0600), and returns the path. The log
/// names the file, never the token: logs travel further than the data directory.
fn write_token(
    key: &SigningKey,
    claims: &Claims,
    path: &Path,
    what: &str,
) -> anyhow::Result<PathBuf> {
    let token = key.issue(claims);
    platform::postgres::write_private(path, token.as_bytes())?;
    tracing::info!(file = %path.display(), token_id = claims.jti.as_deref().unwrap_or_default(), "{what} written");
    Ok(path.to_owned())
}
