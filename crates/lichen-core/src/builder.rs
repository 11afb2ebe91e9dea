//! `HPyListBuilder` and `HPyTupleBuilder`: a list or tuple filled slot by
//! slot, then built at once.
//!
//! As in HPy, `New` and `Set` never raise: whatever went wrong (no memory, a
//! bad size or index, a NULL item) is remembered and reported by `Build`, so
//! that an extension only needs to check the result of `Build`. A builder
//! holds its own handle to every item it was given; `Build` and `Cancel` end
//! the builder and release them.

use crate::registry::Registry;
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

/// A misuse `Build` reports, with what it needs for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    NegativeSize(isize),
    IndexOutOfRange { index: isize, size: usize },
    NullItem { index: usize },
    Unset { index: usize },
}

impl Fault {
    pub fn message(self, kind: BuilderKind) -> String {
        let api = kind.api_name();
        match self {
            Fault::NegativeSize(size) => format!("{api}_New: negative size {size}"),
            Fault::IndexOutOfRange { index, size } => {
                format!("{api}_Set: index {index} out of range for a builder of size {size}")
            }
            Fault::NullItem { index } => format!("{api}_Set: item {index} is HPy_NULL"),
            Fault::Unset { index } => format!("{api}_Build: item {index} was never set"),
        }
    }
}

pub struct Builder {
    kind: BuilderKind,
    /// One owned handle per slot; NULL for a slot not set yet.
    items: Vec<HPy>,
    /// The first misuse, reported by `Build`.
    fault: Option<Fault>,
}

/// What an ended builder leaves to its caller.
pub enum Outcome {
    /// Every slot was set: the owned items, in order.
    Items(Vec<HPy>),
    /// The builder was misused; the owned handles it held must be closed.
    Failed(Fault, Vec<HPy>),
}

impl Builder {
    /// A builder with `size` empty slots; `None` when memory ran out.
    pub fn new(kind: BuilderKind, size: isize) -> Option<Builder> {
        let mut builder = Builder { kind, items: Vec::new(), fault: None };
        match usize::try_from(size) {
            Ok(size) => {
                builder.items.try_reserve_exact(size).ok()?;
                builder.items.resize(size, HPy::NULL);
            }
            Err(_) => builder.fault = Some(Fault::NegativeSize(size)),
        }
        Some(builder)
    }

    pub fn kind(&self) -> BuilderKind {
        self.kind
    }

    /// Puts `item` (which the builder now owns) into slot `index`. Returns
    /// the handle the builder gives up instead (the one the slot held, or
    /// `item` itself when it cannot be stored), for the caller to close.
    pub fn set(&mut self, index: isize, item: HPy) -> HPy {
        if self.fault.is_some() {
            return item;
        }
        let size = self.items.len();
        let Some(slot) = usize::try_from(index).ok().filter(|&i| i < size) else {
            self.fault = Some(Fault::IndexOutOfRange { index, size });
            return item;
        };
        if item.is_null() {
            self.fault = Some(Fault::NullItem { index: slot });
        }
        core::mem::replace(&mut self.items[slot], item)
    }

    /// Ends the builder.
    pub fn finish(self) -> Outcome {
        let fault = self.fault.or_else(|| self.items.iter().position(|h| h.is_null()).map(|index| Fault::Unset { index }));
        match fault {
            None => Outcome::Items(self.items),
            Some(fault) => {
                let owned = self.items.into_iter().filter(|h| !h.is_null()).collect();
                Outcome::Failed(fault, owned)
            }
        }
    }

    /// The handles the builder owns, for `Cancel` to close.
    pub fn into_owned(self) -> Vec<HPy> {
        self.items.into_iter().filter(|h| !h.is_null()).collect()
    }
}

/// The live builders of the process, of both kinds; `HPyListBuilder` and
/// `HPyTupleBuilder` are ids in this table.
pub static BUILDERS: Registry<Builder> = Registry::new();

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: isize) -> HPy {
        HPy { _i: i }
    }

    #[test]
    fn builds_the_items_in_order() {
        let mut b = Builder::new(BuilderKind::Tuple, 3).unwrap();
        assert!(b.set(2, h(30)).is_null());
        assert!(b.set(0, h(10)).is_null());
        assert!(b.set(1, h(20)).is_null());
        match b.finish() {
            Outcome::Items(items) => assert_eq!(items, vec![h(10), h(20), h(30)]),
            Outcome::Failed(f, _) => panic!("unexpected {f:?}"),
        }
    }

    #[test]
    fn setting_a_slot_twice_gives_back_the_old_item() {
        let mut b = Builder::new(BuilderKind::List, 1).unwrap();
        assert!(b.set(0, h(1)).is_null());
        assert_eq!(b.set(0, h(2)), h(1));
        assert!(matches!(b.finish(), Outcome::Items(items) if items == vec![h(2)]));
    }

    #[test]
    fn a_bad_index_is_reported_by_build_and_the_item_given_back() {
        let mut b = Builder::new(BuilderKind::List, 2).unwrap();
        assert!(b.set(0, h(1)).is_null());
        assert_eq!(b.set(2, h(2)), h(2));
        assert_eq!(b.set(-1, h(3)), h(3));
        assert!(b.set(1, h(4)) == h(4), "a failed builder takes nothing more");
        match b.finish() {
            Outcome::Failed(fault, owned) => {
                assert_eq!(fault, Fault::IndexOutOfRange { index: 2, size: 2 });
                assert_eq!(owned, vec![h(1)]);
            }
            Outcome::Items(_) => panic!("a bad index must fail the build"),
        }
    }

    #[test]
    fn null_and_unset_items_fail_the_build() {
        let mut b = Builder::new(BuilderKind::Tuple, 2).unwrap();
        b.set(0, HPy::NULL);
        assert!(matches!(b.finish(), Outcome::Failed(Fault::NullItem { index: 0 }, owned) if owned.is_empty()));

        let mut b = Builder::new(BuilderKind::Tuple, 3).unwrap();
        b.set(0, h(5));
        match b.finish() {
            Outcome::Failed(fault, owned) => {
                assert_eq!(fault, Fault::Unset { index: 1 });
                assert_eq!(owned, vec![h(5)]);
            }
            Outcome::Items(_) => panic!("unset items must fail the build"),
        }
    }

    #[test]
    fn negative_and_impossible_sizes() {
        let b = Builder::new(BuilderKind::List, -1).unwrap();
        assert!(matches!(b.finish(), Outcome::Failed(Fault::NegativeSize(-1), _)));
        assert!(Builder::new(BuilderKind::List, isize::MAX).is_none());
    }

    #[test]
    fn cancel_releases_what_was_set() {
        let mut b = Builder::new(BuilderKind::List, 3).unwrap();
        b.set(1, h(7));
        assert_eq!(b.into_owned(), vec![h(7)]);
    }

    #[test]
    fn empty_builders_build() {
        let b = Builder::new(BuilderKind::Tuple, 0).unwrap();
        assert!(matches!(b.finish(), Outcome::Items(items) if items.is_empty()));
    }
}
