//! What the repositories' in-memory caches share: their size bound and how an entry is added within it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Most entries a cache holds (an account is about 2 KiB, its memberships a few hundred bytes).
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// The cache's map, locked; a poisoned lock is taken as it is (every change is one map operation).
pub(crate) fn lock<T>(map: &Mutex<T>) -> MutexGuard<'_, T> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds an entry. At the bound the entries that `usable` refuses go first, and if the rest is still that many
/// the cache starts over: a burst of distinct keys costs reads, never memory.
pub(crate) fn insert_bounded<K: Eq + Hash, V>(map: &mut HashMap<K, V>, key: K, value: V, usable: impl Fn(&V) -> bool) {
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, v| usable(v));
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.insert(key, value);
}
