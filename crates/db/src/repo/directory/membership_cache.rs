//! The group memberships of accounts, which every group page's permission check reads, kept in memory for a
//! bounded time so that the check costs no database round trip. An entry is used only while no write
//! transaction of this process has ended since it was read ([`Database::write_generation`]) and for at most the
//! bound; a write by another process takes effect here once the entry ages out, so a removal or demotion
//! reaches every instance within the bound, as a ban does (`AUTH_CACHE_MILLISECONDS`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::model::GroupMembership;
use uuid::Uuid;

use crate::repo::bounded::{insert_bounded, lock};

/// What is kept of one account: its memberships, when they were read, and the write generation before the read.
type Entry = (Vec<GroupMembership>, Instant, u64);

/// The cache.
#[derive(Debug)]
pub(crate) struct MembershipCache {
    ttl: Duration,
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl MembershipCache {
    /// A cache keeping memberships for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn usable(&self, (_, at, read_in): &Entry, generation: u64) -> bool {
        *read_in == generation && at.elapsed() < self.ttl
    }

    /// The account's memberships, if they were read within the bound and no write has ended since.
    pub(crate) fn get(&self, account: Uuid, generation: u64) -> Option<Vec<GroupMembership>> {
        let entries = lock(&self.entries);
        entries.get(&account).filter(|e| self.usable(e, generation)).map(|(m, _, _)| m.clone())
    }

    /// Keeps `memberships`, read after `generation` was taken.
    pub(crate) fn keep(&self, account: Uuid, memberships: &[GroupMembership], generation: u64) {
        let mut entries = lock(&self.entries);
        insert_bounded(&mut entries, account, (memberships.to_vec(), Instant::now(), generation), |e| {
            self.usable(e, generation)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::bounded::MAX_ENTRIES;
    use domain::model::GroupRole;
    use time::OffsetDateTime;

    fn membership(account: Uuid) -> GroupMembership {
        GroupMembership {
            group_id: Uuid::new_v4(),
            account_id: account,
            role: GroupRole::Admin,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn entries_serve_until_a_write_ends_or_the_bound_passes() {
        let cache = MembershipCache::new(Duration::from_millis(50));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.keep(a, &[membership(a)], 7);
        assert_eq!(cache.get(a, 7).map(|m| m.len()), Some(1));
        assert!(cache.get(a, 8).is_none(), "a write that ended since the read makes it stale");
        cache.keep(b, &[], 8);
        assert_eq!(cache.get(b, 8), Some(vec![]));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(b, 8).is_none(), "an entry older than the bound is not used");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = MembershipCache::new(Duration::from_secs(3600));
        for _ in 0..=MAX_ENTRIES {
            cache.keep(Uuid::new_v4(), &[], 1);
        }
        assert!(lock(&cache.entries).len() <= MAX_ENTRIES);
    }
}
