//! [`PropertyTypes`]: interning of property types to dense indices.

use std::any::{TypeId, type_name};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Interns property types (`TypeId`s) to dense `u32` indices, so graph records
/// store four bytes instead of a 16-byte `TypeId` and compare in one
/// instruction.
#[derive(Default, Debug)]
pub struct PropertyTypes {
    index: TypeIndex,
    names: Vec<&'static str>,
}

impl PropertyTypes {
    /// The index of `T`, interning it on first use.
    #[inline]
    pub fn intern<T: 'static>(&mut self) -> u32 {
        self.intern_id(TypeId::of::<T>(), type_name::<T>())
    }

    /// The index of the type with `id` and `name`, interning it on first use.
    #[inline]
    pub fn intern_id(&mut self, id: TypeId, name: &'static str) -> u32 {
        let names = &mut self.names;
        self.index.get_or_insert_with(id, || {
            names.push(name);
            (names.len() - 1) as u32
        })
    }

    /// The index of `T` if it was ever interned.
    #[inline]
    pub fn get<T: 'static>(&self) -> Option<u32> {
        self.index.get(TypeId::of::<T>())
    }

    /// The type name of an interned index.
    ///
    /// # Panics
    /// If `ty` was not returned by [`intern`](Self::intern) on this table.
    pub fn name(&self, ty: u32) -> &'static str {
        self.names[ty as usize]
    }

    /// How many types are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no type is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// `TypeId`s are already well-distributed hashes; feed them through unchanged
/// (the same trick as hecs' `TypeIdHasher`).
///
/// [`TypeIdMap`] is a map keyed by it.
#[derive(Default)]
pub(crate) struct TypeIdHasher(u64);

/// A `HashMap` keyed by `TypeId`, hashed by [`TypeIdHasher`].
pub(crate) type TypeIdMap<V> = HashMap<TypeId, V, BuildHasherDefault<TypeIdHasher>>;

/// A `TypeId` → dense index map that answers the id asked for last with one
/// compare instead of a hash: binding in a loop asks for the same property
/// type, and the same lane, again and again.
#[derive(Default, Debug)]
pub(crate) struct TypeIndex {
    map: TypeIdMap<u32>,
    last: Option<(TypeId, u32)>,
}

impl TypeIndex {
    /// The index of `id`, if it has one.
    #[inline]
    pub fn get(&self, id: TypeId) -> Option<u32> {
        match self.last {
            Some((last, index)) if last == id => Some(index),
            _ => self.map.get(&id).copied(),
        }
    }

    /// The index of `id`, given by `new` on first use.
    #[inline]
    pub fn get_or_insert_with(&mut self, id: TypeId, new: impl FnOnce() -> u32) -> u32 {
        if let Some((last, index)) = self.last
            && last == id
        {
            return index;
        }
        self.insert_with(id, new)
    }

    #[inline(never)]
    fn insert_with(&mut self, id: TypeId, new: impl FnOnce() -> u32) -> u32 {
        let index = *self.map.entry(id).or_insert_with(new);
        self.last = Some((id, index));
        index
    }
}

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Fallback for TypeId representations that hash as bytes.
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_ne_bytes(buf);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_dense() {
        let mut types = PropertyTypes::default();
        let a = types.intern::<u8>();
        let b = types.intern::<String>();
        assert_eq!((a, b), (0, 1));
        assert_eq!(types.intern::<u8>(), a);
        assert_eq!(types.get::<String>(), Some(b));
        assert_eq!(types.get::<u16>(), None);
        assert_eq!(types.name(b), "alloc::string::String");
        assert_eq!(types.len(), 2);
    }
}
