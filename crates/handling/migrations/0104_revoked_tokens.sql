-- Tokens revoked before their end (`vern token revoke`): every call and every dashboard
-- request looks its token's id up here, so a revocation holds at once on every instance.
-- Kept, not deleted: a revoked token stays refused until it expires on its own, and the
-- record says who revoked it and when.
create table revoked_tokens (
    token_id   text primary key,
    revoked_at timestamptz not null,
    revoked_by text not null,
    reason     text
);

grant select, insert on revoked_tokens to vern_app;
