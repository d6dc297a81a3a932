//! Accounts read for authentication, kept in memory for a bounded time so that an authenticated read costs no
//! database round trip. Every write of an account through this process's account repository drops what is
//! kept (at once, before the write is answered); a write by another process takes effect here once the entry
//! ages out, so revocations, bans and password changes reach every instance within the bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::model::Account;
use uuid::Uuid;

use crate::repo::bounded::{insert_bounded, lock};

/// The cache.
#[derive(Debug)]
pub(crate) struct AuthCache {
    ttl: Duration,
    entries: Mutex<HashMap<Uuid, (Account, Instant)>>,
    /// Moves on every write: a read that began before a write may not be kept after it.
    epoch: AtomicU64,
}

impl AuthCache {
    /// A cache keeping accounts for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()), epoch: AtomicU64::new(0) }
    }

    /// The account read within the bound, if any.
    pub(crate) fn get(&self, id: Uuid) -> Option<Account> {
        let entries = lock(&self.entries);
        entries.get(&id).filter(|(_, at)| at.elapsed() < self.ttl).map(|(account, _)| account.clone())
    }

    /// Where the writes stand: read it before reading an account to keep.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Keeps `account`, read after `epoch` was taken, unless a write happened since.
    pub(crate) fn keep(&self, account: &Account, epoch: u64) {
        let mut entries = lock(&self.entries);
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        insert_bounded(&mut entries, account.id, (account.clone(), Instant::now()), |(_, at)| at.elapsed() < self.ttl);
    }

    /// Drops these accounts (a write changed them).
    pub(crate) fn forget(&self, ids: impl IntoIterator<Item = Uuid>) {
        let mut entries = lock(&self.entries);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for id in ids {
            entries.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::bounded::MAX_ENTRIES;
    use time::OffsetDateTime;

    fn account() -> Account {
        Account::new(Uuid::new_v4(), "a".into(), None, OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn entries_age_out_and_writes_drop_them() {
        let cache = AuthCache::new(Duration::from_millis(50));
        let (a, b) = (account(), account());
        cache.keep(&a, cache.epoch());
        cache.keep(&b, cache.epoch());
        assert_eq!(cache.get(a.id).map(|x| x.id), Some(a.id));
        cache.forget([a.id]);
        assert!(cache.get(a.id).is_none(), "a write drops the entry at once");
        assert!(cache.get(b.id).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(b.id).is_none(), "an entry older than the bound is not used");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = AuthCache::new(Duration::from_secs(3600));
        for _ in 0..=MAX_ENTRIES {
            cache.keep(&account(), cache.epoch());
        }
        assert!(lock(&cache.entries).len() <= MAX_ENTRIES);
    }

    #[test]
    fn a_read_that_began_before_a_write_is_not_kept() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let a = account();
        let before = cache.epoch();
        cache.forget([a.id]);
        cache.keep(&a, before);
        assert!(cache.get(a.id).is_none());
    }
}
