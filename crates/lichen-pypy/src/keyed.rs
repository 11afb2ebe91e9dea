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
            self.older = core::mem::replace(&mut self.newer, key_map());
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
