//! Ids for objects the core owns and an extension holds by value (trackers,
//! list and tuple builders).
//!
//! An extension passes such a value around as a plain integer and may well
//! use it after it was closed or built. A raw pointer would turn that into a
//! use-after-free; a slot index plus a generation number lets the core tell
//! a live id from a stale one and answer with an exception instead.

use std::sync::{Mutex, MutexGuard};

/// The low half of an id is the slot index plus one (so that 0 is never an
/// id), the high half the slot's generation.
const INDEX_BITS: u32 = isize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
const GENERATION_MASK: usize = usize::MAX >> INDEX_BITS;

struct Entry<T> {
    generation: usize,
    value: Option<T>,
}

struct Slots<T> {
    entries: Vec<Entry<T>>,
    free: Vec<usize>,
}

/// A table of live objects of type `T`, addressed by nonzero ids.
pub struct Registry<T> {
    slots: Mutex<Slots<T>>,
}

impl<T> Registry<T> {
    pub const fn new() -> Self {
        Registry { slots: Mutex::new(Slots { entries: Vec::new(), free: Vec::new() }) }
    }

    fn lock(&self) -> MutexGuard<'_, Slots<T>> {
        // The closures run under the lock never panic, so a poisoned table
        // is still consistent.
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `value` and returns its id, or gives it back when every slot
    /// an id can address is taken or memory for the table ran out.
    pub fn insert(&self, value: T) -> Result<isize, T> {
        let mut slots = self.lock();
        let index = match slots.free.pop() {
            Some(index) => index,
            None => {
                let index = slots.entries.len();
                if index >= INDEX_MASK || slots.entries.try_reserve(1).is_err() || slots.free.try_reserve(index + 1).is_err() {
                    return Err(value);
                }
                slots.entries.push(Entry { generation: 0, value: None });
                index
            }
        };
        let entry = &mut slots.entries[index];
        entry.value = Some(value);
        Ok(((entry.generation << INDEX_BITS) | (index + 1)) as isize)
    }

    /// The slot index of a live id.
    fn index_of(slots: &Slots<T>, id: isize) -> Option<usize> {
        let bits = id as usize;
        let index = (bits & INDEX_MASK).checked_sub(1)?;
        let entry = slots.entries.get(index)?;
        (entry.value.is_some() && entry.generation == bits >> INDEX_BITS).then_some(index)
    }

    /// Runs `f` on the object of a live id; `None` for a stale or made-up id.
    pub fn with<R>(&self, id: isize, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut slots = self.lock();
        let index = Self::index_of(&slots, id)?;
        slots.entries[index].value.as_mut().map(f)
    }

    /// Takes the object of a live id out of the table; the id goes stale.
    pub fn remove(&self, id: isize) -> Option<T> {
        let mut slots = self.lock();
        let index = Self::index_of(&slots, id)?;
        let entry = &mut slots.entries[index];
        entry.generation = (entry.generation + 1) & GENERATION_MASK;
        let value = entry.value.take();
        // `insert` reserved room for every slot in `free`.
        slots.free.push(index);
        value
    }
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_nonzero_and_resolve() {
        let table = Registry::new();
        let a = table.insert("a").unwrap();
        let b = table.insert("b").unwrap();
        assert!(a != 0 && b != 0 && a != b);
        assert_eq!(table.with(a, |v| *v), Some("a"));
        assert_eq!(table.with(b, |v| *v), Some("b"));
    }

    #[test]
    fn removed_ids_go_stale_even_when_the_slot_is_reused() {
        let table = Registry::new();
        let a = table.insert(1).unwrap();
        assert_eq!(table.remove(a), Some(1));
        assert_eq!(table.remove(a), None);
        assert_eq!(table.with(a, |v| *v), None);
        let b = table.insert(2).unwrap();
        assert_ne!(a, b);
        assert_eq!(table.with(a, |v| *v), None);
        assert_eq!(table.with(b, |v| *v), Some(2));
    }

    #[test]
    fn made_up_ids_are_rejected() {
        let table: Registry<u8> = Registry::new();
        assert_eq!(table.with(0, |v| *v), None);
        assert_eq!(table.with(12345, |v| *v), None);
        assert_eq!(table.with(-1, |v| *v), None);
    }
}
