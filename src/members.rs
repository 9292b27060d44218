//! serde_json's `Value` as jsonschema reads it, with an object's members found fast.
//!
//! jsonschema evaluates any JSON representation that implements its [`Json`] trait; its own
//! implementation for `serde_json::Value` finds a member with `BTreeMap::get`, which orders
//! the wanted name against the keys it passes and calls `memcmp` for each. A task envelope
//! has about ten keys and is asked for a member some forty times per response (every rule's
//! condition reads `object`, `type` or `status`), so those lookups were a sixth of all the
//! work of checking a small response.
//!
//! [`Scanned`] is the same representation (every answer but a member lookup is serde_json's
//! own, and errors quote the same `&Value`s) with two changes:
//! - The response's top-level object is read once into [`Envelope`]: its members in an array,
//!   each with the length and first and last bytes of its name. A lookup compares those with
//!   the wanted name's, taken when the schema was compiled, and reads a name's text only when
//!   they agree and it is longer than sixteen bytes.
//! - Any other object is scanned in the map's order with the same comparison, up to
//!   [`SCANNED_MEMBERS`] members; larger ones are searched by the map.

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object, SerdeJson};
use jsonschema::types::JsonType;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Objects below the top with more members than this are searched by the map, not scanned.
const SCANNED_MEMBERS: usize = 24;

/// serde_json's `Value` with members found fast: give it to
/// `jsonschema::options_for::<Scanned>()`, and a response as [`Envelope::doc`].
pub(crate) struct Scanned;

/// A member name a compiled schema asks for, with what tells it apart fast.
pub(crate) struct Wanted {
    head: Head,
    text: Box<str>,
}

/// A name's length and its first and last (up to) eight bytes: two names that differ here
/// differ; two that agree and are at most sixteen bytes long are the same.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Head {
    len: usize,
    first: u64,
    last: u64,
}

impl Head {
    /// The head of a name of `bytes`.
    #[inline]
    fn of(bytes: &[u8]) -> Head {
        let len = bytes.len();
        let word = |part: &[u8]| u64::from_le_bytes(part.try_into().expect("eight bytes"));
        let half =
            |part: &[u8]| u64::from(u32::from_le_bytes(part.try_into().expect("four bytes")));
        let (first, last) = if len >= 8 {
            (word(&bytes[..8]), word(&bytes[len - 8..]))
        } else if len >= 4 {
            (half(&bytes[..4]), half(&bytes[len - 4..]))
        } else {
            let packed = bytes.iter().enumerate().fold(0_u64, |packed, (at, byte)| {
                packed | u64::from(*byte) << (at * 8)
            });
            (packed, 0)
        };
        Head { len, first, last }
    }
}

impl Wanted {
    /// Whether a name of `bytes`, whose head is `head`, is this name.
    #[inline]
    fn is(&self, head: Head, bytes: &[u8]) -> bool {
        head == self.head && (head.len <= 16 || bytes == self.text.as_bytes())
    }
}

/// One member of the top-level object, with its name's head.
pub(crate) struct Member<'a> {
    head: Head,
    name: &'a str,
    value: &'a Value,
}

/// A response read for the schemas: its top-level members, each with its name's head.
pub(crate) struct Envelope<'a> {
    value: &'a Value,
    members: Vec<Member<'a>>,
}

impl<'a> Envelope<'a> {
    /// Reads the top-level members of `value` (none when it is not an object).
    pub(crate) fn of(value: &'a Value) -> Envelope<'a> {
        let members = value.as_object().map_or_else(Vec::new, |map| {
            map.iter()
                .map(|(name, value)| Member {
                    head: Head::of(name.as_bytes()),
                    name,
                    value,
                })
                .collect()
        });
        Envelope { value, members }
    }

    /// The response.
    pub(crate) fn value(&self) -> &'a Value {
        self.value
    }

    /// The response as jsonschema reads it.
    pub(crate) fn doc(&self) -> Doc<'_> {
        Doc::Top(self.value, &self.members)
    }
}

/// A node of a response as jsonschema reads it: the top-level object with its members read,
/// or any value below it.
#[derive(Clone, Copy)]
pub(crate) enum Doc<'a> {
    /// The response, with its top-level members.
    Top(&'a Value, &'a [Member<'a>]),
    /// A value below the top (or any value read on its own, such as a results item).
    Plain(&'a Value),
}

impl<'a> Doc<'a> {
    /// The value this node is.
    #[inline]
    fn value(self) -> &'a Value {
        match self {
            Doc::Top(value, _) | Doc::Plain(value) => value,
        }
    }
}

impl Json for Scanned {
    type Node<'a> = Doc<'a>;
    type PreparedKey = Wanted;
    type StringBuffer = ();

    // A scan costs a length comparison per key: `required` may pass over the members rather
    // than look each name up while the object has at most this many keys per name.
    const KEYS_PER_LOOKUP: usize = 4;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Wanted {
        Wanted {
            head: Head::of(key.as_bytes()),
            text: key.into(),
        }
    }

    fn with_string_node<T>(buffer: &mut (), string: &str, f: impl FnOnce(Doc<'_>) -> T) -> T {
        SerdeJson::with_string_node(buffer, string, |value| f(Doc::Plain(value)))
    }
}

/// serde_json's own answer for the value of `$doc`.
macro_rules! as_serde {
    ($doc:expr, $method:ident $(, $arg:expr)*) => {
        <&Value as Node<'a, SerdeJson>>::$method(&$doc.value() $(, $arg)*)
    };
}

impl<'a> Node<'a, Scanned> for Doc<'a> {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = &'a Number;

    #[inline]
    fn as_object(&self) -> Option<Members<'a>> {
        match *self {
            Doc::Top(Value::Object(map), members) => Some(Members::Read(map, members)),
            Doc::Plain(Value::Object(map)) => Some(Members::Map(map)),
            _ => None,
        }
    }

    #[inline]
    fn as_array(&self) -> Option<Items<'a>> {
        match self.value() {
            Value::Array(items) => Some(Items(items)),
            _ => None,
        }
    }

    #[inline]
    fn as_string(&self) -> Option<Cow<'a, str>> {
        as_serde!(self, as_string)
    }

    #[inline]
    fn as_number(&self) -> Option<&'a Number> {
        as_serde!(self, as_number)
    }

    #[inline]
    fn as_boolean(&self) -> Option<bool> {
        as_serde!(self, as_boolean)
    }

    #[inline]
    fn is_null(&self) -> bool {
        as_serde!(self, is_null)
    }

    #[inline]
    fn json_type(&self) -> JsonType {
        as_serde!(self, json_type)
    }

    #[inline]
    fn string_length(&self) -> Option<u64> {
        as_serde!(self, string_length)
    }

    #[inline]
    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        as_serde!(self, string_length_within, min, max)
    }

    #[inline]
    fn equals_value(&self, expected: &Value) -> bool {
        as_serde!(self, equals_value, expected)
    }

    #[inline]
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Borrowed(self.value())
    }

    #[inline]
    fn identity(&self) -> Option<NodeIdentity> {
        as_serde!(self, identity)
    }
}

/// An object's members: the top-level object's as read, any other's in its map.
#[derive(Clone, Copy)]
pub(crate) enum Members<'a> {
    /// The top-level object, with its members read.
    Read(&'a Map<String, Value>, &'a [Member<'a>]),
    /// An object below the top.
    Map(&'a Map<String, Value>),
}

/// An object's members as jsonschema walks them, in the map's order.
pub(crate) struct MembersIter<'a>(serde_json::map::Iter<'a>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (&'a str, Doc<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0
            .next()
            .map(|(name, value)| (name.as_str(), Doc::Plain(value)))
    }
}

impl<'a> Object<'a, Scanned> for Members<'a> {
    type Node = Doc<'a>;
    type MemberName = &'a str;
    type MembersIter = MembersIter<'a>;

    #[inline]
    fn len(&self) -> usize {
        match self {
            Members::Read(map, _) | Members::Map(map) => map.len(),
        }
    }

    #[inline]
    fn get(&self, wanted: &Wanted) -> Option<Doc<'a>> {
        let found = match *self {
            Members::Read(_, members) => members
                .iter()
                .find(|m| wanted.is(m.head, m.name.as_bytes()))
                .map(|m| m.value),
            Members::Map(map) if map.len() > SCANNED_MEMBERS => map.get(&*wanted.text),
            Members::Map(map) => map
                .iter()
                .find(|(name, _)| {
                    let bytes = name.as_bytes();
                    bytes.len() == wanted.head.len && wanted.is(Head::of(bytes), bytes)
                })
                .map(|(_, value)| value),
        };
        found.map(Doc::Plain)
    }

    #[inline]
    fn members(&self) -> MembersIter<'a> {
        match self {
            Members::Read(map, _) | Members::Map(map) => MembersIter(map.iter()),
        }
    }
}

/// An array's items, each a node below the top.
#[derive(Clone, Copy)]
pub(crate) struct Items<'a>(&'a [Value]);

impl<'a> Array<'a, Scanned> for Items<'a> {
    type Node = Doc<'a>;
    type ElementsIter = std::iter::Map<std::slice::Iter<'a, Value>, fn(&'a Value) -> Doc<'a>>;

    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn elements(&self) -> Self::ElementsIter {
        self.0.iter().map(Doc::Plain as fn(&'a Value) -> Doc<'a>)
    }

    #[inline]
    fn is_unique(&self) -> bool {
        <&[Value] as Array<'a, SerdeJson>>::is_unique(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The map's own answer, the scan's below the top and the read envelope's, for `name` in
    /// `map`: all three must agree.
    fn lookups(map: &Map<String, Value>, name: &str) -> [Option<Value>; 3] {
        let wanted = Scanned::prepare_key(name);
        let value = Value::Object(map.clone());
        let envelope = Envelope::of(&value);
        let top = envelope.doc().as_object().expect("an object");
        let below = Doc::Plain(&value).as_object().expect("an object");
        [
            map.get(name).cloned(),
            below.get(&wanted).map(|d| d.value().clone()),
            top.get(&wanted).map(|d| d.value().clone()),
        ]
    }

    /// Asserts that the three lookups of `name` agree and finds what the map finds.
    fn assert_found(map: &Map<String, Value>, name: &str, expected: Option<Value>) {
        let [ours, below, top] = lookups(map, name);
        assert_eq!(ours, expected, "the map, for {name:?}");
        assert_eq!(below, expected, "the scan below the top, for {name:?}");
        assert_eq!(top, expected, "the envelope, for {name:?}");
    }

    #[test]
    fn names_that_share_a_head_but_not_a_middle_are_told_apart() {
        let mut map = Map::new();
        map.insert("aaaaaaaa-x-bbbbbbbb".into(), Value::from(1));
        assert_found(&map, "aaaaaaaa-y-bbbbbbbb", None);
        assert_found(&map, "aaaaaaaa-x-bbbbbbbb", Some(Value::from(1)));
    }

    #[test]
    fn a_name_with_a_zero_byte_is_not_its_prefix() {
        let mut map = Map::new();
        map.insert("id\0".into(), Value::from(1));
        assert_found(&map, "id", None);
        assert_found(&map, "id\0", Some(Value::from(1)));
    }

    #[test]
    fn a_large_object_is_searched_by_the_map() {
        let map: Map<String, Value> = (0..100)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        for i in [0, 57, 99] {
            assert_found(&map, &format!("k{i}"), Some(Value::from(i)));
        }
        assert_found(&map, "k100", None);
    }

    #[test]
    fn every_node_below_the_top_is_plain_and_quotes_its_own_value() {
        let value = serde_json::json!({"results": [{"url": "u"}], "usage": {"a": 1}});
        let envelope = Envelope::of(&value);
        let top = envelope.doc();
        assert!(std::ptr::eq(top.to_value().as_ref(), &value));
        let members = top.as_object().expect("an object");
        let results = members
            .get(&Scanned::prepare_key("results"))
            .expect("results");
        assert!(matches!(results, Doc::Plain(_)));
        let item = results
            .as_array()
            .expect("an array")
            .elements()
            .next()
            .expect("one item");
        assert!(std::ptr::eq(item.to_value().as_ref(), &value["results"][0]));
        for (name, member) in members.members() {
            assert!(matches!(member, Doc::Plain(_)));
            assert!(std::ptr::eq(member.to_value().as_ref(), &value[name]));
        }
        assert_eq!(top.identity(), Doc::Plain(&value).identity());
    }

    proptest! {
        /// The scan and the read envelope find what the map finds, over names of every length
        /// around the head's sixteen bytes and names that differ in one byte.
        #[test]
        fn lookups_find_what_the_map_finds(
            names in proptest::collection::vec("[ab\u{e9}\0\u{7f}]{0,20}", 0..30),
            asked in "[ab\u{e9}\0\u{7f}]{0,20}",
        ) {
            let map: Map<String, Value> = names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), Value::from(i)))
                .collect();
            for name in names.iter().chain([&asked]) {
                let [ours, below, top] = lookups(&map, name);
                prop_assert_eq!(&ours, &below);
                prop_assert_eq!(&ours, &top);
            }
        }
    }
}
