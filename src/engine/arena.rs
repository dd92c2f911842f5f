//! A slab of values addressed by `u32` ids: a `Vec` plus an intrusive free
//! list.
//!
//! Requests, connections and other short-lived entities live here, and events
//! name them by id (4 bytes, `Copy`), so the event enum stays small and
//! nothing is allocated per entity once the arena has grown to its
//! high-water mark. Freed ids are reused last-in first-out, which keeps the
//! hot slots in cache and is deterministic.
//!
//! Ids are not generation-checked: an id used after [`Arena::remove`] may
//! name a newer value. Code that can hold an id past its value's life (a
//! late timeout for a finished request) must check identity itself, for
//! example by storing an attempt number in the value and in the event, or by
//! cancelling the event when the value is removed.

/// Marks the end of the free list.
const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
enum Slot<T> {
    Occupied(T),
    Free { next: u32 },
}

/// A `Vec`-backed arena of `T` indexed by `u32` ids.
///
/// ```
/// use resim::engine::arena::Arena;
///
/// let mut a = Arena::new();
/// let x = a.insert("x");
/// let y = a.insert("y");
/// assert_eq!(a.remove(x), Some("x"));
/// let z = a.insert("z"); // reuses x's slot
/// assert_eq!(z, x);
/// assert_eq!(a.get(y), Some(&"y"));
/// assert_eq!(a.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Arena<T> {
    slots: Vec<Slot<T>>,
    free_head: u32,
    len: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Arena<T> {
    /// An empty arena.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty arena with room for `n` values before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        Arena {
            slots: Vec::with_capacity(n),
            free_head: NONE,
            len: 0,
        }
    }

    /// Stores `value` and returns its id.
    ///
    /// # Panics
    /// If the arena would hold more than `u32::MAX - 1` slots.
    pub fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        if self.free_head != NONE {
            let id = self.free_head;
            let slot = &mut self.slots[id as usize];
            if let Slot::Free { next } = *slot {
                self.free_head = next;
            }
            *slot = Slot::Occupied(value);
            return id;
        }
        let id = u32::try_from(self.slots.len())
            .ok()
            .filter(|&id| id != NONE)
            .expect("Arena holds at most u32::MAX - 1 values");
        self.slots.push(Slot::Occupied(value));
        id
    }

    /// Removes and returns the value with `id`, or `None` if there is none.
    pub fn remove(&mut self, id: u32) -> Option<T> {
        let slot = self.slots.get_mut(id as usize)?;
        if matches!(slot, Slot::Free { .. }) {
            return None;
        }
        let old = std::mem::replace(
            slot,
            Slot::Free {
                next: self.free_head,
            },
        );
        self.free_head = id;
        self.len -= 1;
        match old {
            Slot::Occupied(v) => Some(v),
            Slot::Free { .. } => None,
        }
    }

    /// The value with `id`, if present.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&T> {
        match self.slots.get(id as usize) {
            Some(Slot::Occupied(v)) => Some(v),
            _ => None,
        }
    }

    /// The value with `id`, mutably, if present.
    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        match self.slots.get_mut(id as usize) {
            Some(Slot::Occupied(v)) => Some(v),
            _ => None,
        }
    }

    /// Whether a value with `id` is present.
    pub fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// The number of values stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the arena holds no value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of slots allocated so far (the high-water mark of `len`).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Removes every value; keeps the allocation.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.free_head = NONE;
        self.len = 0;
    }

    /// The stored values with their ids, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            // Ids fit in u32: `insert` never creates more slots.
            Slot::Occupied(v) => Some((i as u32, v)),
            Slot::Free { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused_lifo_and_values_survive() {
        let mut a = Arena::new();
        let ids: Vec<u32> = (0..5).map(|i| a.insert(i * 10)).collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 4]);
        assert_eq!(a.remove(1), Some(10));
        assert_eq!(a.remove(3), Some(30));
        assert_eq!(a.remove(3), None, "double remove");
        assert_eq!(a.get(3), None);
        assert_eq!(a.insert(99), 3, "last freed first");
        assert_eq!(a.insert(98), 1);
        assert_eq!(a.insert(97), 5, "free list exhausted: grow");
        assert_eq!(a.len(), 6);
        *a.get_mut(0).expect("present") += 1;
        let all: Vec<(u32, i32)> = a.iter().map(|(i, &v)| (i, v)).collect();
        assert_eq!(
            all,
            vec![(0, 1), (1, 98), (2, 20), (3, 99), (4, 40), (5, 97)]
        );
    }

    #[test]
    fn steady_state_does_not_grow() {
        let mut a = Arena::new();
        let mut live = std::collections::VecDeque::new();
        for i in 0..100_000u64 {
            live.push_back(a.insert(i));
            if live.len() > 50 {
                let id = live.pop_front().expect("non-empty");
                assert!(a.remove(id).is_some());
            }
        }
        assert_eq!(a.len(), 50);
        assert!(a.slots() <= 51, "slots {}", a.slots());
    }

    #[test]
    fn unknown_ids_are_none() {
        let mut a: Arena<u8> = Arena::new();
        assert_eq!(a.get(0), None);
        assert_eq!(a.remove(7), None);
        assert!(!a.contains(u32::MAX));
        a.insert(1);
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.get(0), None);
        assert_eq!(a.insert(2), 0);
    }
}
