//! Start-up paths: concurrent migrations and the media store on S3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use shortlist_store::{Db, MediaStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_at_once_apply_each_migration_once() {
    let t = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let mut children = vec![];
    for i in 0..4 {
        let mut args = common::base_args(&t, &data.path().join(i.to_string()));
        args.push("migrate".into());
        children.push(tokio::process::Command::new(common::bin()).args(&args).output());
    }
    for c in children {
        let out = c.await.unwrap();
        assert!(
            out.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = Db::connect(&t.url).await.unwrap();
    assert!(db.migrations_current().await.unwrap());
    let rows: Vec<(i64,)> = match &db {
        Db::Sqlite(p) => sqlx::query_as("SELECT version FROM _sqlx_migrations")
            .fetch_all(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_as("SELECT version FROM _sqlx_migrations")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    let mut versions: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
    let n = versions.len();
    versions.dedup();
    assert_eq!(versions.len(), n, "no migration recorded twice");
}

#[tokio::test]
async fn media_round_trips_through_s3() {
    let Some(bucket) = common::s3_bucket("media").await else {
        return;
    };
    let store = MediaStore::from_url(&format!("s3://{bucket}/tenant-files")).unwrap();
    store
        .put("answers/q1/take1.webm", b"webm bytes".to_vec())
        .await
        .unwrap();
    store.put("answers/q1/take2.webm", b"more".to_vec()).await.unwrap();
    assert_eq!(store.get("answers/q1/take1.webm").await.unwrap(), b"webm bytes");
    let mut keys = store.list("answers/q1").await.unwrap();
    keys.sort();
    assert_eq!(keys, vec!["answers/q1/take1.webm", "answers/q1/take2.webm"]);
    // The prefix is really applied in the bucket.
    let whole_bucket = MediaStore::from_url(&format!("s3://{bucket}")).unwrap();
    assert_eq!(
        whole_bucket.get("tenant-files/answers/q1/take2.webm").await.unwrap(),
        b"more"
    );
    assert!(store.put("../escape", vec![]).await.is_err());
}

#[test]
fn a_bad_storage_url_is_named_in_the_error() {
    let err = MediaStore::from_url("ftp://nowhere").unwrap_err().to_string();
    assert!(err.contains("STORAGE_URL"), "{err}");
}
