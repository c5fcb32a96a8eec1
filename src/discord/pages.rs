//! A map bounded by count and by age, for the state behind "More results"/"Share"
//! buttons. The clock is a parameter of every call (`now`), so tests move time without
//! sleeping.
//!
//! Entries are kept in insertion order (their creation time), so eviction pops from the
//! front: expired entries on every insert and [`Bounded::sweep`], then the oldest while
//! the map is over its cap. Removing by key leaves a stale key in the order queue; it is
//! skipped when popped, and the queue is compacted when it grows past twice the map.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Bounded<V> {
    cap: usize,
    ttl: Duration,
    map: HashMap<String, (Instant, V)>,
    order: VecDeque<(Instant, String)>,
}

impl<V> Bounded<V> {
    /// At most `cap` entries (at least one), each for `ttl` after it was inserted.
    pub fn new(cap: usize, ttl: Duration) -> Self {
        Self {
            cap: cap.max(1),
            ttl,
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn expired(&self, created: Instant, now: Instant) -> bool {
        now.saturating_duration_since(created) > self.ttl
    }

    /// Insert `value` under `key` (created at `now`), evicting expired entries and then
    /// the oldest until the map holds at most `cap` entries.
    pub fn insert(&mut self, key: String, value: V, now: Instant) {
        self.sweep(now);
        while self.map.len() >= self.cap {
            if !self.pop_oldest() {
                break;
            }
        }
        self.map.insert(key.clone(), (now, value));
        self.order.push_back((now, key));
    }

    /// The live entry under `key` and when it was created; an expired one is removed.
    pub fn get_mut(&mut self, key: &str, now: Instant) -> Option<(Instant, &mut V)> {
        let created = self.map.get(key)?.0;
        if self.expired(created, now) {
            self.remove(key);
            return None;
        }
        self.map.get_mut(key).map(|(c, v)| (*c, v))
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let v = self.map.remove(key).map(|(_, v)| v);
        if self.order.len() > 2 * self.map.len() + 16 {
            let map = &self.map;
            self.order
                .retain(|(c, k)| map.get(k).is_some_and(|(created, _)| created == c));
        }
        v
    }

    /// Drop every expired entry. Returns how many were dropped.
    pub fn sweep(&mut self, now: Instant) -> usize {
        let before = self.map.len();
        while let Some((created, _)) = self.order.front() {
            if !self.expired(*created, now) {
                break;
            }
            if let Some((created, key)) = self.order.pop_front() {
                if self.map.get(&key).is_some_and(|(c, _)| *c == created) {
                    self.map.remove(&key);
                }
            }
        }
        before - self.map.len()
    }

    /// Remove the oldest entry in insertion order; false when there is none.
    fn pop_oldest(&mut self) -> bool {
        while let Some((created, key)) = self.order.pop_front() {
            // A key removed (or re-inserted later) has a stale place in the queue.
            if self.map.get(&key).is_some_and(|(c, _)| *c == created) {
                self.map.remove(&key);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(600);

    #[test]
    fn bounded_by_count_the_oldest_go_first() {
        let t0 = Instant::now();
        let mut m = Bounded::new(100, TTL);
        for i in 0..150u64 {
            m.insert(format!("k{i}"), i, t0 + Duration::from_millis(i));
            assert!(
                m.len() <= 100,
                "{} entries after {} inserts",
                m.len(),
                i + 1
            );
        }
        assert_eq!(m.len(), 100);
        let now = t0 + Duration::from_secs(1);
        assert!(m.get_mut("k49", now).is_none(), "oldest evicted");
        assert_eq!(m.get_mut("k50", now).map(|(_, v)| *v), Some(50));
        assert_eq!(m.get_mut("k149", now).map(|(_, v)| *v), Some(149));
    }

    #[test]
    fn bounded_by_age_on_insert_and_on_sweep() {
        let t0 = Instant::now();
        let mut m = Bounded::new(1000, TTL);
        for i in 0..500u64 {
            m.insert(format!("k{i}"), i, t0);
        }
        assert_eq!(m.len(), 500);
        let later = t0 + TTL + Duration::from_secs(1);
        // An insert alone evicts whatever has expired.
        m.insert("fresh".into(), 0, later);
        assert_eq!(m.len(), 1);
        // And a sweep with no insert at all.
        let much_later = later + TTL + Duration::from_secs(1);
        assert_eq!(m.sweep(much_later), 1);
        assert!(m.is_empty());
    }

    #[test]
    fn an_expired_entry_is_not_returned_and_removal_keeps_the_queue_small() {
        let t0 = Instant::now();
        let mut m = Bounded::new(10, TTL);
        m.insert("a".into(), 1, t0);
        assert!(m.get_mut("a", t0 + TTL).is_some(), "alive up to the ttl");
        assert!(m
            .get_mut("a", t0 + TTL + Duration::from_millis(1))
            .is_none());
        assert!(m.is_empty());
        for i in 0..10_000u64 {
            let k = format!("k{i}");
            m.insert(k.clone(), i, t0);
            m.remove(&k);
        }
        assert!(m.order.len() <= 2 * m.len() + 17, "{}", m.order.len());
        // Re-inserting a key keeps only its newest value and place.
        m.insert("x".into(), 1, t0);
        m.insert("x".into(), 2, t0 + Duration::from_secs(1));
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.get_mut("x", t0 + Duration::from_secs(2)).map(|(_, v)| *v),
            Some(2)
        );
    }
}
