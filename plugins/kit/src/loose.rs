//! Fields read the way the agents' JavaScript uses them: a value of another type than the reader
//! expects is absent, not an error that would lose the whole line. Typed rows made of these read
//! in one pass, without building a `serde_json::Value` first.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A string field; any other JSON value is absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LooseStr(pub Option<String>);

/// A flag; any other JSON value than a boolean is absent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LooseBool(pub Option<bool>);

/// An object read as `T`; any other JSON value is absent. `T`'s own fields must accept any value
/// (made of these types, `Option<serde_json::Value>`, …): an error inside the object still loses
/// the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseObject<T>(pub Option<T>);

/// A list of objects read as `T`: elements of another type are left out, and any other JSON
/// value than a list is an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseList<T>(pub Vec<T>);

impl<T> Default for LooseList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Default for LooseObject<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl LooseStr {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl LooseBool {
    /// True only for JSON `true`.
    pub fn is_true(&self) -> bool {
        self.0 == Some(true)
    }
}

/// The JSON values a loose field can hold, `Other` standing for every unused one (already read
/// past).
enum Shape<T> {
    Str(String),
    Bool(bool),
    Object(T),
    Other,
}

/// Reads any JSON value into a [`Shape`], objects as `T` (`IgnoredAny` to skip them).
struct ShapeVisitor<T>(PhantomData<T>);

impl<T> Default for ShapeVisitor<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ShapeVisitor<T> {
    type Value = Shape<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Shape<T>, E> {
        Ok(Shape::Bool(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape<T>, E> {
        Ok(Shape::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Shape<T>, E> {
        Ok(Shape::Str(v))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Shape<T>, E> {
        Ok(Shape::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Shape<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shape<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Shape::Object)
    }
}

fn shape<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Shape<T>, D::Error> {
    d.deserialize_any(ShapeVisitor::default())
}

impl<'de> Deserialize<'de> for LooseStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match shape::<IgnoredAny, D>(d)? {
            Shape::Str(s) => Self(Some(s)),
            _ => Self(None),
        })
    }
}

impl<'de> Deserialize<'de> for LooseBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match shape::<IgnoredAny, D>(d)? {
            Shape::Bool(b) => Self(Some(b)),
            _ => Self(None),
        })
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match shape::<T, D>(d)? {
            Shape::Object(t) => Self(Some(t)),
            _ => Self(None),
        })
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = LooseList<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseList<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(LooseObject(item)) = seq.next_element::<LooseObject<T>>()? {
            items.extend(item);
        }
        Ok(LooseList(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseList<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LooseList::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<LooseList<T>, E> {
        Ok(LooseList::default())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// For `#[serde(default, deserialize_with = "present")]`: a field that is there, even as `null`
/// (which `Option` alone reads as absent).
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        name: LooseStr,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Row {
        kind: LooseStr,
        flag: LooseBool,
        inner: LooseObject<Inner>,
        list: LooseList<Inner>,
    }

    #[test]
    fn values_of_the_wrong_type_are_absent_and_the_row_still_reads() {
        let good: Row =
            serde_json::from_str(r#"{"kind":"user","flag":true,"inner":{"name":"n","x":[1]}}"#)
                .unwrap();
        assert_eq!(good.kind.as_deref(), Some("user"));
        assert!(good.flag.is_true());
        assert_eq!(good.inner.0.unwrap().name.as_deref(), Some("n"));

        for wrong in [
            r#"{"kind":5,"flag":"yes","inner":"x"}"#,
            r#"{"kind":{"a":[1,{"b":null}]},"flag":1,"inner":[1,2]}"#,
            r#"{"kind":null,"flag":null,"inner":null,"other":{"deep":[[]]}}"#,
            r#"{"kind":[],"flag":{},"inner":{"name":7}}"#,
        ] {
            let row: Row = serde_json::from_str(wrong).unwrap();
            assert_eq!(row.kind.0, None, "{wrong}");
            assert_eq!(row.flag.0, None, "{wrong}");
            assert!(row.inner.0.is_none_or(|i| i.name.0.is_none()), "{wrong}");
        }
        assert!(serde_json::from_str::<Row>(r#"{"kind":"a""#).is_err());
        let list: Row =
            serde_json::from_str(r#"{"list":[{"name":"a"},3,"x",[1],{"name":5}]}"#).unwrap();
        assert_eq!(list.list.0.len(), 2);
        assert_eq!(list.list.0[0].name.as_deref(), Some("a"));
        for wrong in [
            r#"{"list":{"name":"a"}}"#,
            r#"{"list":"a"}"#,
            r#"{"list":null}"#,
        ] {
            assert!(
                serde_json::from_str::<Row>(wrong)
                    .unwrap()
                    .list
                    .0
                    .is_empty()
            );
        }
    }
}
