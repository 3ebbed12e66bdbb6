//! Least privilege in the database: the role the server serves with is not a superuser, owns
//! none of the store's tables, and cannot change or remove an event or a read record by any
//! route a SQL session has: statements, trigger switches, session settings, ownership,
//! grants, another role.

use api::investigation::v1 as investigation;
use tests::TestApp;

use crate::case_under_investigation;

#[tokio::test]
async fn the_servers_role_cannot_change_or_remove_an_event_or_a_read_record() {
    let app = TestApp::spawn().await;
    let case_id = case_under_investigation(&app, 90).await;
    app.investigation()
        .get_case(investigation::GetCaseRequest {
            case_id,
            purpose: "Checking the roles".into(),
        })
        .await
        .expect("read");
    let admin = app.db.pool();
    let counts = || async {
        let events: i64 = sqlx::query_scalar("select count(*) from events")
            .fetch_one(admin)
            .await
            .expect("count");
        let reads: i64 = sqlx::query_scalar("select count(*) from read_audit")
            .fetch_one(admin)
            .await
            .expect("count");
        (events, reads)
    };
    let before = counts().await;
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");

    // The server's own pool: who it is.
    let server = app.store.pool();
    let (user, superuser, creates_roles): (String, bool, bool) = sqlx::query_as(
        "select current_user::text, rolsuper, rolcreaterole from pg_roles where rolname = current_user",
    )
    .fetch_one(server)
    .await
    .expect("who");
    assert_eq!(user, platform::postgres::SERVER_ROLE);
    assert!(!superuser && !creates_roles);
    let owns: i64 = sqlx::query_scalar(
        "select count(*) from pg_tables where tablename in ('events', 'read_audit') \
         and tableowner = current_user",
    )
    .fetch_one(server)
    .await
    .expect("owner");
    assert_eq!(owns, 0, "the server's role owns neither table");

    for attempt in [
        "delete from events",
        "update events set payload = '{}'",
        "truncate events",
        "delete from read_audit",
        "update read_audit set purpose = 'changed'",
        "truncate read_audit",
        "alter table events disable trigger events_append_only",
        "alter table events disable trigger all",
        "alter table read_audit disable trigger read_audit_append_only",
        "drop trigger events_append_only on events",
        "drop trigger read_audit_append_only on read_audit",
        "create or replace function events_refuse_change() returns trigger \
         language plpgsql as $$ begin return null; end $$",
        "drop table events",
        "drop table read_audit",
        "alter table events rename to old_events",
        "alter table events owner to vern_server",
        "create rule skip as on delete to events do instead nothing",
        "create trigger sneak before insert on events for each row \
         execute function events_refuse_change()",
        "set session_replication_role = replica",
        "set role vern_owner",
        "set role postgres",
        "set session authorization postgres",
        "alter role vern_server superuser",
        "grant vern_owner to vern_server",
    ] {
        let result = sqlx::raw_sql(attempt).execute(server).await;
        assert!(result.is_err(), "the server's role could: {attempt}");
    }
    // A grant by a role without the grant option is no error in PostgreSQL, only a warning
    // that nothing was granted: what counts is the privilege after it.
    for grant in [
        "grant delete, update, truncate on events to vern_server",
        "grant delete, update, truncate on read_audit to vern_server",
    ] {
        let _ = sqlx::raw_sql(grant).execute(server).await;
    }
    let privileged: bool = sqlx::query_scalar(
        "select bool_or(has_table_privilege(t, p)) \
           from unnest(array['events', 'read_audit']) as t, \
                unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) as p",
    )
    .fetch_one(server)
    .await
    .expect("privileges");
    assert!(
        !privileged,
        "the server's role may update, delete or truncate"
    );
    // A delete after a refused switch to replication mode, in one session: still refused.
    let mut session = server.acquire().await.expect("a connection");
    let _ = sqlx::raw_sql("set session_replication_role = replica")
        .execute(&mut *session)
        .await;
    assert!(
        sqlx::raw_sql("delete from events")
            .execute(&mut *session)
            .await
            .is_err()
    );
    drop(session);
    assert_eq!(counts().await, before, "nothing changed or removed");
}
