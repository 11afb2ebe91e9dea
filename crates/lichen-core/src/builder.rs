//! `HPyListBuilder` and `HPyTupleBuilder`: a list or tuple filled slot by
//! slot, then built at once.
//!
//! As in HPy, `New` and `Set` never raise: a failure (no memory, a negative
//! size) is remembered in the builder value and reported by `Build`, so that
//! an extension only needs to check the result of `Build`. A builder holds
//! its own reference to every item it was given; `Build` and `Cancel` end it.
//!
//! In universal mode a builder value is whatever the host made up, usually
//! the address of the list or tuple being filled (see
//! [`crate::host::BuilderHost`]); like HPy, the universal mode does not
//! recognise a builder used after `Build` or `Cancel` (that is a
//! use-after-free). The debug mode wraps every builder and reports such
//! misuse (`crate::debug::builders`).
//!
//! [`Builder`] is the host-neutral builder that a host gets by default: the
//! items wait in a boxed array until `Build` makes the list or tuple.

use lichen_abi::HPy;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuilderKind {
    List,
    Tuple,
}

impl BuilderKind {
    /// The prefix of the C functions, for messages.
    pub fn api_name(self) -> &'static str {
        match self {
            BuilderKind::List => "HPyListBuilder",
            BuilderKind::Tuple => "HPyTupleBuilder",
        }
    }
}

/// The builder value of a `New` that ran out of memory: `Build` raises
/// `MemoryError`, as in HPy.
pub const NO_MEMORY: isize = 0;

/// The builder value of a `New` given a negative size: `Build` raises
/// `SystemError`. An odd address, so no host's object pointer is ever -1.
pub const NEGATIVE_SIZE: isize = -1;

/// Whether `b` is a builder the host made (not one of the failure values).
#[inline]
pub fn is_live(b: isize) -> bool {
    b != NO_MEMORY && b != NEGATIVE_SIZE
}

/// The message `Build` raises for a slot that holds no item.
pub fn empty_slot_message(kind: BuilderKind, index: usize) -> String {
    let api = kind.api_name();
    format!("{api}_Build: item {index} is HPy_NULL (never set, or set to HPy_NULL)")
}

/// The host-neutral builder: one owned handle (or NULL) per slot.
pub struct Builder {
    items: Vec<HPy>,
}

impl Builder {
    /// A builder with `size` empty slots; `None` when memory ran out.
    pub fn new(size: usize) -> Option<Builder> {
        let mut items = Vec::new();
        items.try_reserve_exact(size).ok()?;
        items.resize(size, HPy::NULL);
        Some(Builder { items })
    }

    /// Puts `item` (owned by the builder from now on, maybe NULL) into slot
    /// `index`. Returns the handle the builder gives up instead (the one the
    /// slot held, or `item` itself for an index out of range), for the
    /// caller to close.
    pub fn set(&mut self, index: isize, item: HPy) -> HPy {
        match usize::try_from(index).ok().and_then(|i| self.items.get_mut(i)) {
            Some(slot) => core::mem::replace(slot, item),
            None => item,
        }
    }

    /// The first slot that holds no item.
    pub fn first_empty(&self) -> Option<usize> {
        self.items.iter().position(|h| h.is_null())
    }

    /// The owned handles, in slot order (NULL for empty slots).
    pub fn into_items(self) -> Vec<HPy> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: isize) -> HPy {
        HPy { _i: i }
    }

    #[test]
    fn builds_the_items_in_order() {
        let mut b = Builder::new(3).unwrap();
        assert!(b.set(2, h(30)).is_null());
        assert!(b.set(0, h(10)).is_null());
        assert!(b.set(1, h(20)).is_null());
        assert_eq!(b.first_empty(), None);
        assert_eq!(b.into_items(), vec![h(10), h(20), h(30)]);
    }

    #[test]
    fn setting_a_slot_twice_gives_back_the_old_item() {
        let mut b = Builder::new(1).unwrap();
        assert!(b.set(0, h(1)).is_null());
        assert_eq!(b.set(0, h(2)), h(1));
        assert_eq!(b.into_items(), vec![h(2)]);
    }

    #[test]
    fn a_bad_index_gives_the_item_back() {
        let mut b = Builder::new(2).unwrap();
        assert_eq!(b.set(2, h(2)), h(2));
        assert_eq!(b.set(-1, h(3)), h(3));
        assert_eq!(b.first_empty(), Some(0));
    }

    #[test]
    fn null_and_unset_items_are_empty_slots() {
        let mut b = Builder::new(2).unwrap();
        b.set(1, h(5));
        b.set(0, HPy::NULL);
        assert_eq!(b.first_empty(), Some(0));
    }

    #[test]
    fn impossible_sizes_and_failure_values() {
        assert!(Builder::new(usize::MAX / 2).is_none());
        assert!(!is_live(NO_MEMORY) && !is_live(NEGATIVE_SIZE) && is_live(0x1000));
    }

    #[test]
    fn empty_builders_build() {
        let b = Builder::new(0).unwrap();
        assert_eq!(b.first_empty(), None);
        assert!(b.into_items().is_empty());
    }
}
