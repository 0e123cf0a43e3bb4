//! The ids along a path through many commits' trees, for `mlops log`.
//!
//! Why not `Tree::get_path`: libgit2 parses a whole tree into entries on
//! every lookup, and an environment folder of 2,000 models is a tree of
//! 2,000 entries that changes with nearly every commit. Over 20,000
//! commits that was 18 s for one model's log, where `git log -- PATH` took
//! 1.3 s. Reading each tree object once from the object database and
//! scanning its raw entries for the one name needed, remembering the
//! answer per tree, does what git's tree walk does. The raw tree format
//! (`<mode> <name>\0<20-byte id>`, repeated) is git's and stable.

use std::collections::HashMap;
use std::path::Path;

use git2::{Odb, Oid, Repository};

/// Object ids are already uniformly random: their first bytes are the
/// hash (SipHash over `(Oid, String)` keys was 8 % of a long log).
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

type IdMap<V> = HashMap<Oid, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Entry ids by tree, per name, each tree object read once per name.
pub struct TreePaths<'r> {
    odb: Odb<'r>,
    memo: HashMap<String, IdMap<Option<Oid>>>,
}

/// Settings for a process that only reads a long history: libgit2
/// rehashes every object it reads to check its id (SHA-1 with collision
/// detection: 65 % of a 20,000-commit log's time), which git does not do
/// on reads, only in fsck; and it caches every tree it inflates, evicting
/// again and again, where [`TreePaths`] remembers the few ids it needs.
/// Call once, before any thread reads.
pub fn read_only_history_settings() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: a process-wide setting, changed before the threads that
    // read objects start.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 0) };
}

/// Settings for a command that reads the few trees on a change's paths,
/// each several times in one run (the plan, the Argo CD coverage, the
/// commit, the push's pack, the checkout update): libgit2 caches no tree
/// over 4 KiB, and an environment's tree of 2,000 models is about 90 KiB,
/// rebuilt from a chain of deltas on every read; and it rehashes every
/// object it reads, which git's read path does not (the remote checks
/// what it receives, and every object written is hashed). Call once,
/// before any thread reads.
pub fn change_settings() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: a process-wide setting, changed before the threads that
    // read objects start.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 4 << 20) };
}

impl<'r> TreePaths<'r> {
    pub fn new(repo: &'r Repository) -> Result<TreePaths<'r>, git2::Error> {
        Ok(TreePaths {
            odb: repo.odb()?,
            memo: HashMap::new(),
        })
    }

    /// The id at `path` (names separated by `/`) under the tree `root`,
    /// `None` when something on the way is missing.
    pub fn id(&mut self, root: Oid, path: &str) -> Option<Oid> {
        path.split('/')
            .try_fold(root, |tree, name| self.entry(tree, name))
    }

    /// Looks `paths` up under every tree of `roots` ahead of time, on
    /// `threads` threads with a repository handle each (libgit2 handles
    /// are not shared between threads), and remembers the answers. Reading
    /// and unpacking tree objects is most of a long log's time; with the
    /// commits' trees split in runs of neighbours (which share most
    /// subtrees), two cores take 0.6 of one core's time.
    pub fn prefetch(&mut self, repo: &Path, roots: &[Oid], paths: &[String], threads: usize) {
        let chunk = roots.len().div_ceil(threads.max(1)).max(1);
        let memos: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = roots
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let repo = Repository::open(repo).ok()?;
                        let mut mine = TreePaths::new(&repo).ok()?;
                        for root in part {
                            for path in paths {
                                mine.id(*root, path);
                            }
                        }
                        Some(mine.memo)
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok().flatten())
                .collect()
        });
        for memo in memos {
            for (name, ids) in memo {
                self.memo.entry(name).or_default().extend(ids);
            }
        }
    }

    /// The id of the entry `name` in the tree `tree`.
    fn entry(&mut self, tree: Oid, name: &str) -> Option<Oid> {
        if let Some(found) = self.memo.get(name).and_then(|m| m.get(&tree)) {
            return *found;
        }
        let found = self
            .odb
            .read(tree)
            .ok()
            .and_then(|obj| scan(obj.data(), name.as_bytes()));
        self.memo
            .entry(name.to_string())
            .or_default()
            .insert(tree, found);
        found
    }
}

/// The id of `name` in a raw tree object, if it is there.
fn scan(mut raw: &[u8], name: &[u8]) -> Option<Oid> {
    while !raw.is_empty() {
        let space = raw.iter().position(|b| *b == b' ')?;
        let nul = space + raw[space..].iter().position(|b| *b == 0)?;
        let id = raw.get(nul + 1..nul + 21)?;
        if &raw[space + 1..nul] == name {
            return Oid::from_bytes(id).ok();
        }
        raw = &raw[nul + 21..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::scan;

    #[test]
    fn finds_an_entry_in_a_raw_tree() {
        let mut raw = Vec::new();
        for (mode, name, byte) in [
            ("100644", "a.yaml", 1u8),
            ("40000", "b", 2),
            ("100644", "c", 3),
        ] {
            raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            raw.extend_from_slice(&[byte; 20]);
        }
        assert_eq!(scan(&raw, b"b").unwrap().as_bytes(), &[2u8; 20]);
        assert_eq!(scan(&raw, b"c").unwrap().as_bytes(), &[3u8; 20]);
        assert!(scan(&raw, b"a").is_none());
        assert!(scan(&raw[..10], b"b").is_none());
    }
}
