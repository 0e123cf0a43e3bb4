//! Which files under a folder the index holds otherwise than HEAD: what
//! `git diff --cached --name-only HEAD -- <dir>` lists, the "staged" half
//! of `git status`. Streamed as git compares them: the index entries in
//! order beside HEAD's trees, one environment folder at a time, keeping
//! only the answer (the few staged paths), never a set of the whole tree.
//!
//! A model folder whose index entries make the tree HEAD has there (its
//! entries hashed as `git write-tree` writes a tree) is settled by that id
//! alone, without reading it; only a folder that differs is read. An
//! environment's tree is read through a repository handle of its own,
//! dropped at once: libgit2 keeps the bases of a delta chain (up to 16 MiB
//! a pack) while a handle lives, and an environment's tree of 20,000
//! entries is such a chain.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use git2::{Index, IndexEntry, Oid, Repository};

/// The staged paths under `dir` (no trailing `/`): entries whose id or
/// mode differ from HEAD's, entries HEAD lacks, unresolved conflicts.
/// Without a HEAD (no commit yet) every entry is staged.
pub fn staged(repo: &Repository, index: &Index, dir: &str) -> BTreeSet<String> {
    let root = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .ok()
        .map(|t| t.id());
    let prefix = format!("{dir}/");
    let mut out = BTreeSet::new();
    let Ok(mut n) = index.find_prefix(&prefix) else {
        return out;
    };
    let mut env: Option<(String, HashMap<Vec<u8>, Oid>)> = None;
    let mut group: Vec<IndexEntry> = Vec::new();
    let mut folder = String::new();
    loop {
        let next = index
            .get(n)
            .filter(|e| e.path.starts_with(prefix.as_bytes()));
        let path = next
            .as_ref()
            .map(|e| String::from_utf8_lossy(&e.path).into_owned());
        // `<env>/<model>` of the entry, below `dir`.
        let key = path
            .as_deref()
            .and_then(|p| folder_of(&p[prefix.len()..]))
            .map(str::to_string);
        if key.as_deref() != Some(folder.as_str()) {
            if !group.is_empty() {
                let (e, model) = folder.split_once('/').unwrap_or_default();
                if env.as_ref().is_none_or(|(known, _)| known != e) {
                    let read = root.and_then(|r| read_dir(repo, r, &format!("{prefix}{e}")));
                    env = Some((e.to_string(), read.unwrap_or_default()));
                }
                let id = env
                    .as_ref()
                    .and_then(|(_, m)| m.get(model.as_bytes()).copied());
                compare(repo, &format!("{prefix}{folder}"), id, &group, &mut out);
                group.clear();
            }
            folder = key.clone().unwrap_or_default();
        }
        let (Some(entry), Some(path)) = (next, path) else {
            break;
        };
        if key.is_some() {
            group.push(entry);
        } else {
            // A file directly under `dir` or an environment folder.
            let head = root.and_then(|r| lookup(repo, r, &path));
            if head != Some((entry.id, entry.mode)) || stage(&entry) != 0 {
                out.insert(path);
            }
        }
        n += 1;
    }
    out
}

/// `<env>/<model>` of a path below the deployments folder, when the path
/// lies inside a model folder.
fn folder_of(rel: &str) -> Option<&str> {
    let first = rel.find('/')?;
    let second = first + 1 + rel[first + 1..].find('/')?;
    Some(&rel[..second])
}

fn stage(entry: &IndexEntry) -> u16 {
    (entry.flags >> 12) & 3
}

/// Adds to `out` the entries of one model folder (`dir`, HEAD's id of it
/// `head`) that differ from HEAD.
fn compare(
    repo: &Repository,
    dir: &str,
    head: Option<Oid>,
    entries: &[IndexEntry],
    out: &mut BTreeSet<String>,
) {
    let path = |e: &IndexEntry| String::from_utf8_lossy(&e.path).into_owned();
    let Some(head) = head else {
        out.extend(entries.iter().map(path));
        return;
    };
    // The tree `git write-tree` would write for these entries, when they
    // are plain files of the folder itself: equal ids, nothing staged.
    let flat = entries
        .iter()
        .all(|e| stage(e) == 0 && !e.path[dir.len() + 1..].contains(&b'/'));
    if flat {
        let mut raw = Vec::new();
        for e in entries {
            raw.extend_from_slice(format!("{:o} ", e.mode).as_bytes());
            raw.extend_from_slice(&e.path[dir.len() + 1..]);
            raw.push(0);
            raw.extend_from_slice(e.id.as_bytes());
        }
        if Oid::hash_object(git2::ObjectType::Tree, &raw).ok() == Some(head) {
            return;
        }
    }
    let tree = repo.find_tree(head).ok();
    for e in entries {
        let name = String::from_utf8_lossy(&e.path[dir.len() + 1..]).into_owned();
        let there = tree
            .as_ref()
            .and_then(|t| t.get_path(Path::new(&name)).ok())
            .map(|t| (t.id(), t.filemode() as u32));
        if there != Some((e.id, e.mode)) || stage(e) != 0 {
            out.insert(path(e));
        }
    }
}

/// The id and mode HEAD's tree `root` holds at `path`.
fn lookup(repo: &Repository, root: Oid, path: &str) -> Option<(Oid, u32)> {
    let entry = repo.find_tree(root).ok()?.get_path(Path::new(path)).ok()?;
    Some((entry.id(), entry.filemode() as u32))
}

/// The entries of the folder `dir` of the tree `root`, by name, read with
/// a handle of its own (see the module's note on delta chains).
fn read_dir(repo: &Repository, root: Oid, dir: &str) -> Option<HashMap<Vec<u8>, Oid>> {
    let own = Repository::open(repo.path()).ok()?;
    let odb = own.odb().ok()?;
    let id = dir.split('/').try_fold(root, |tree, name| {
        entries(odb.read(tree).ok()?.data())
            .find_map(|(n, id)| (n == name.as_bytes()).then_some(id))
    })?;
    let object = odb.read(id).ok()?;
    Some(
        entries(object.data())
            .map(|(n, id)| (n.to_vec(), id))
            .collect(),
    )
}

/// The (name, id) of each entry of a raw tree object (`<mode> <name>\0`
/// and 20 bytes of id, repeated: git's format).
fn entries(mut raw: &[u8]) -> impl Iterator<Item = (&[u8], Oid)> {
    std::iter::from_fn(move || {
        let space = raw.iter().position(|b| *b == b' ')?;
        let nul = space + raw[space..].iter().position(|b| *b == 0)?;
        let id = Oid::from_bytes(raw.get(nul + 1..nul + 21)?).ok()?;
        let name = &raw[space + 1..nul];
        raw = &raw[nul + 21..];
        Some((name, id))
    })
}
