//! Maps by field key (and other keys that need no SipHash): what the table
//! remembers of the objects fields hold.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Field keys are consecutive, and addresses distinct: mixing them is all
/// the hashing they need (no SipHash on the paths that look them up).
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, k: usize) {
        self.write_u64(k as u64);
    }
}

pub(crate) type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

pub(crate) const fn key_map<V>() -> KeyMap<V> {
    HashMap::with_hasher(BuildHasherDefault::new())
}

/// What is known of the keys used lately, in two generations of at most
/// [`GENERATION_MAX`] keys: when the newer is full it becomes the older and
/// the older is forgotten; a key found in the older moves to the newer. The
/// memory stays small enough to stay in cache (every field store writes
/// to it, at a key no store used before), and what is still used stays.
pub(crate) struct Recent<V> {
    newer: KeyMap<V>,
    older: KeyMap<V>,
}

/// Keys per generation of a [`Recent`].
pub(crate) const GENERATION_MAX: usize = 4096;

impl<V> Recent<V> {
    pub(crate) const fn new() -> Self {
        Recent { newer: key_map(), older: key_map() }
    }

    pub(crate) fn insert(&mut self, key: u64, value: V) {
        if self.newer.len() >= GENERATION_MAX && !self.newer.contains_key(&key) {
            // the older's memory serves the next generation: a new map
            // would grow by rehashing all the way to GENERATION_MAX again
            core::mem::swap(&mut self.newer, &mut self.older);
            self.newer.clear();
        }
        self.newer.insert(key, value);
    }

    pub(crate) fn get(&mut self, key: u64) -> Option<&V> {
        if !self.newer.contains_key(&key) {
            let value = self.older.remove(&key)?;
            self.insert(key, value);
        }
        self.newer.get(&key)
    }
}

/// A [`Recent`] behind an array entry per key picked by the key's low
/// bits: a look-up of a key whose entry holds it (keys are consecutive, so
/// the keys of the objects made together share none) is one read, no hash
/// probe; a key a newer key pushed out of its entry moves to the `Recent`.
pub(crate) struct Keyed<V> {
    direct: Vec<(u64, Option<V>)>,
    recent: Recent<V>,
}

impl<V> Keyed<V> {
    pub(crate) const fn new() -> Self {
        Keyed { direct: Vec::new(), recent: Recent::new() }
    }

    pub(crate) fn insert(&mut self, key: u64, value: V) {
        if self.direct.is_empty() {
            self.direct = (0..DIRECT).map(|_| (0, None)).collect();
        }
        let entry = &mut self.direct[(key % DIRECT as u64) as usize];
        if entry.0 != key {
            if let Some(old) = entry.1.take() {
                self.recent.insert(entry.0, old);
            }
        }
        *entry = (key, Some(value));
    }

    pub(crate) fn get(&mut self, key: u64) -> Option<&V> {
        match self.direct.get((key % DIRECT as u64) as usize) {
            Some((k, Some(v))) if *k == key => Some(v),
            _ => self.recent.get(key),
        }
    }
}

/// The slots standing for one key's object (see `table::new_loaded_field`):
/// nearly always one, which needs no allocation.
pub(crate) enum Slots {
    One(u32),
    Many(Vec<u32>),
}

impl Slots {
    pub(crate) fn push(&mut self, i: u32) {
        match self {
            Slots::One(j) => *self = Slots::Many(vec![*j, i]),
            Slots::Many(v) => v.push(i),
        }
    }

    /// Takes `i` out; whether any slot is left.
    pub(crate) fn remove(&mut self, i: u32) -> bool {
        match self {
            Slots::One(j) => *j != i,
            Slots::Many(v) => {
                v.retain(|&j| j != i);
                !v.is_empty()
            }
        }
    }

    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Slots::One(j) => core::slice::from_ref(j),
            Slots::Many(v) => v,
        }
    }
}

/// The slots loaded from each key (see `table::new_loaded_field`): every
/// field load adds one and every close takes one out, so the usual case
/// is an array entry picked by the key's low bits (keys are consecutive:
/// the keys loaded at one time rarely share one), not a hash look-up; a
/// key whose entry another key holds goes to a map.
pub(crate) struct Loaded {
    /// `(key, slots)`; key 0 (no field key) marks an empty entry.
    direct: Vec<(u64, Slots)>,
    overflow: KeyMap<Slots>,
}

const DIRECT: usize = 4096;

impl Loaded {
    pub(crate) const fn new() -> Self {
        Loaded { direct: Vec::new(), overflow: key_map() }
    }

    #[inline(always)]
    fn at(key: u64) -> usize {
        (key % DIRECT as u64) as usize
    }

    /// Whether `key` may be in the map (each key is in one place: the map
    /// is asked only when it holds any).
    fn in_overflow(&self, key: u64) -> bool {
        !self.overflow.is_empty() && self.overflow.contains_key(&key)
    }

    #[inline]
    pub(crate) fn push(&mut self, key: u64, i: u32) {
        if self.direct.is_empty() {
            self.direct = (0..DIRECT).map(|_| (0, Slots::One(0))).collect();
        }
        let in_overflow = self.in_overflow(key);
        let entry = &mut self.direct[Self::at(key)];
        if entry.0 == key {
            entry.1.push(i);
        } else if entry.0 == 0 && !in_overflow {
            *entry = (key, Slots::One(i));
        } else {
            self.overflow.entry(key).and_modify(|slots| slots.push(i)).or_insert(Slots::One(i));
        }
    }

    pub(crate) fn get(&self, key: u64) -> Option<&Slots> {
        match self.direct.get(Self::at(key)) {
            Some((k, slots)) if *k == key => Some(slots),
            _ if self.overflow.is_empty() => None,
            _ => self.overflow.get(&key),
        }
    }

    /// Takes slot `i` out of those of `key`.
    #[inline]
    pub(crate) fn remove(&mut self, key: u64, i: u32) {
        if let Some(entry) = self.direct.get_mut(Self::at(key)).filter(|e| e.0 == key) {
            if !entry.1.remove(i) {
                *entry = (0, Slots::One(0));
            }
        } else if let Some(slots) = (!self.overflow.is_empty()).then(|| self.overflow.get_mut(&key)).flatten() {
            if !slots.remove(i) {
                self.overflow.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keeps_what_is_used() {
        let mut r = Recent::new();
        r.insert(1, 'a');
        for k in 2..=GENERATION_MAX as u64 {
            r.insert(k, 'x');
        }
        // the newer is full: a new key starts a generation, 1 is older
        r.insert(100_000, 'b');
        assert_eq!(r.get(1), Some(&'a')); // found in the older, moved
        for k in 200_000..200_000 + GENERATION_MAX as u64 {
            r.insert(k, 'y');
        }
        assert_eq!(r.get(1), Some(&'a'));
        assert_eq!(r.get(2), None); // never used again: forgotten
    }

    #[test]
    fn loaded_slots_by_key() {
        let mut l = Loaded::new();
        let (a, b) = (5, 5 + DIRECT as u64); // the same entry
        l.push(a, 1);
        l.push(b, 2); // to the map
        l.push(a, 3);
        assert_eq!(l.get(a).map(Slots::as_slice), Some(&[1, 3][..]));
        assert_eq!(l.get(b).map(Slots::as_slice), Some(&[2][..]));
        l.remove(a, 1);
        l.remove(a, 3);
        assert!(l.get(a).is_none());
        // b's entry is free now, but b stays in the map: one place a key
        l.push(b, 4);
        assert_eq!(l.get(b).map(Slots::as_slice), Some(&[2, 4][..]));
        l.remove(b, 2);
        l.remove(b, 4);
        assert!(l.get(b).is_none() && l.overflow.is_empty());
        l.push(b, 6); // the entry, now that the map is empty
        assert_eq!(l.direct[Loaded::at(b)].0, b);
        assert!(l.get(7).is_none());
    }

    #[test]
    fn keyed_moves_what_its_entries_lose_to_recent() {
        let mut k = Keyed::new();
        k.insert(3, 'a');
        k.insert(4, 'b');
        k.insert(3 + DIRECT as u64, 'c'); // 3's entry
        assert_eq!(k.get(3 + DIRECT as u64), Some(&'c'));
        assert_eq!(k.get(3), Some(&'a'));
        assert_eq!(k.get(4), Some(&'b'));
        k.insert(4, 'd');
        assert_eq!(k.get(4), Some(&'d'));
        assert_eq!(k.get(5), None);
    }

    #[test]
    fn slots_grow_and_shrink() {
        let mut s = Slots::One(3);
        assert!(!Slots::One(3).remove(3));
        s.push(5);
        assert_eq!(s.as_slice(), &[3, 5]);
        assert!(s.remove(3));
        assert_eq!(s.as_slice(), &[5]);
        assert!(!s.remove(5));
    }
}
