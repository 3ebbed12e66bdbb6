//! Revoked tokens. A token is good until its `exp`; one that leaks, or whose holder leaves,
//! must stop working before that, on every instance at once. Every authenticated call asks
//! the database (one primary-key lookup, `revoked_tokens`), so there is no cache to go stale
//! and no instance that has not heard yet.

use sqlx::PgPool;

use crate::Error;

/// Revokes the token `token_id` (its `jti`), naming who did and why. Returns false when it
/// was revoked already (the first record stays).
pub async fn revoke(
    pool: &PgPool,
    token_id: &str,
    revoked_by: &str,
    reason: Option<&str>,
) -> Result<bool, Error> {
    let inserted = sqlx::query(
        "insert into revoked_tokens (token_id, revoked_at, revoked_by, reason) \
         values ($1, now(), $2, $3) on conflict (token_id) do nothing",
    )
    .bind(token_id)
    .bind(revoked_by)
    .bind(reason)
    .execute(pool)
    .await
    .map_err(|error| Error::Store(error.into()))?;
    Ok(inserted.rows_affected() == 1)
}

/// Whether the token `token_id` is revoked.
pub async fn is_revoked(pool: &PgPool, token_id: &str) -> Result<bool, Error> {
    sqlx::query_scalar("select exists (select 1 from revoked_tokens where token_id = $1)")
        .bind(token_id)
        .fetch_one(pool)
        .await
        .map_err(|error| Error::Store(error.into()))
}
