//! Answers kept per database snapshot (PostgreSQL; issue 13 item 8).
//!
//! A read's answer is a function of the committed data it sees, and PostgreSQL names that
//! data: `pg_current_snapshot()` (`xmin:xmax:in-progress ids`) changes whenever any
//! transaction that wrote something commits or aborts, and never comes back to an earlier
//! value. Two requests that read the same snapshot text therefore see the same rows, and a
//! question asked again under it (a section's totals, a page of holders) has the same answer.
//! The fulfilment questions take the snapshot once per request, with the plan
//! ([`super::fulfilment::scope`]), and ask this process's [`AnswerCache`] before they run
//! their statement; a write committed anywhere (another `serve` process, the command line)
//! gives the next request a new snapshot, so nothing older than what it would read is ever
//! served. An answer computed a moment after the snapshot was taken may include a write that
//! committed in between: it is newer, never older, than the snapshot it is kept under.
//!
//! SQLite and MySQL name no such thing: there, every question runs its statement (at city
//! scale they take milliseconds).
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::ServiceError;

type Answers = HashMap<(Arc<str>, String), Arc<dyn Any + Send + Sync>>;

/// The answers this process keeps, by snapshot and question.
#[derive(Default)]
pub struct AnswerCache {
    answers: Mutex<Answers>,
}

impl AnswerCache {
    /// At most this many answers (a page of 500 holders is ~100 kB); when full, all are
    /// dropped: most belong to snapshots no request will read again.
    const MAX_ANSWERS: usize = 64;

    fn get(&self, key: &(Arc<str>, String)) -> Option<Arc<dyn Any + Send + Sync>> {
        self.lock().get(key).cloned()
    }

    fn keep(&self, key: (Arc<str>, String), answer: Arc<dyn Any + Send + Sync>) {
        let mut answers = self.lock();
        if answers.len() >= Self::MAX_ANSWERS {
            answers.clear();
        }
        answers.insert(key, answer);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The snapshot a request reads, with the cache its answers are kept in.
#[derive(Clone)]
pub struct Snapshot {
    cache: Arc<AnswerCache>,
    text: Arc<str>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Snapshot").field(&self.text).finish()
    }
}

/// The snapshot `db` reads now, on PostgreSQL; `None` elsewhere.
pub async fn snapshot(
    db: &impl ConnectionTrait,
    cache: &Arc<AnswerCache>,
) -> Result<Option<Snapshot>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_current_snapshot()::text AS s"))
        .await?;
    let text: Option<String> = row.map(|r| r.try_get("", "s")).transpose()?;
    Ok(text.map(|text| Snapshot { cache: Arc::clone(cache), text: text.into() }))
}

impl Snapshot {
    /// The answer to `question` under this snapshot: kept, or computed by `compute` and kept.
    /// `question` must name everything the answer depends on besides the data.
    pub async fn answer<T, F>(&self, question: String, compute: F) -> Result<T, ServiceError>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, ServiceError>>,
    {
        let key = (Arc::clone(&self.text), question);
        if let Some(kept) = self.cache.get(&key).and_then(|a| a.downcast_ref::<T>().cloned()) {
            return Ok(kept);
        }
        let answer = compute.await?;
        self.cache.keep(key, Arc::new(answer.clone()));
        Ok(answer)
    }
}

/// `compute`'s answer to `question`, kept under `snapshot` when there is one.
pub async fn kept<T, F>(
    snapshot: Option<&Snapshot>,
    question: impl FnOnce() -> String,
    compute: F,
) -> Result<T, ServiceError>
where
    T: Clone + Send + Sync + 'static,
    F: Future<Output = Result<T, ServiceError>>,
{
    match snapshot {
        Some(s) => s.answer(question(), compute).await,
        None => compute.await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(cache: &Arc<AnswerCache>, text: &str) -> Snapshot {
        Snapshot { cache: Arc::clone(cache), text: text.into() }
    }

    #[tokio::test]
    async fn a_question_is_computed_once_per_snapshot_and_the_cache_stays_bounded() {
        let cache = Arc::new(AnswerCache::default());
        let s1 = snapshot(&cache, "10:12:10");
        assert_eq!(s1.answer("q".into(), async { Ok(1) }).await.unwrap(), 1);
        // Kept: the second computation is never run.
        assert_eq!(s1.answer("q".into(), async { Ok(2) }).await.unwrap(), 1);
        // Another question, or the same one under a later snapshot, is computed.
        assert_eq!(s1.answer("r".into(), async { Ok(3) }).await.unwrap(), 3);
        let s2 = snapshot(&cache, "12:12:");
        assert_eq!(s2.answer("q".into(), async { Ok(4) }).await.unwrap(), 4);
        // A failure is not kept.
        let failed: Result<i32, _> =
            s2.answer("f".into(), async { Err(ServiceError::NotFound("x".into())) }).await;
        assert!(failed.is_err());
        assert_eq!(s2.answer("f".into(), async { Ok(5) }).await.unwrap(), 5);
        for i in 0..200 {
            s2.answer(format!("q{i}"), async move { Ok(i) }).await.unwrap();
            assert!(cache.lock().len() <= AnswerCache::MAX_ANSWERS);
        }
        // No snapshot (SQLite): always computed.
        assert_eq!(kept(None, || "q".into(), async { Ok(6) }).await.unwrap(), 6);
    }
}
