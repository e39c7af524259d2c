//! Matching a request path to a resource: a literal segment beats `{param}`, which beats
//! `{proxy+}` at the same level; a trailing slash is ignored.

use std::collections::BTreeMap;

use crate::spec::Route;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// Lowest precedence.
    Greedy(String),
    Param(String),
    Literal(String),
}

pub(crate) fn parse(template: &str) -> Vec<Seg> {
    template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Seg::Greedy(greedy.to_string()),
                    None => Seg::Param(name.to_string()),
                },
                None => Seg::Literal(s.to_string()),
            },
        )
        .collect()
}

/// One resource path and its methods.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The path template, as the event's `resource`.
    pub path: String,
    segs: Vec<Seg>,
    /// Method (or `ANY`) -> route.
    pub methods: BTreeMap<String, Route>,
}

/// What a path matched.
#[derive(Debug)]
pub struct Match<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// `pathParameters`.
    pub params: BTreeMap<String, String>,
}

/// The resources of one API.
#[derive(Debug, Clone, Default)]
pub struct Router {
    resources: Vec<Resource>,
}

impl Router {
    /// A router over `routes`.
    pub fn new(routes: &[Route]) -> Router {
        let mut resources: Vec<Resource> = Vec::new();
        for r in routes {
            match resources.iter_mut().find(|x| x.path == r.path) {
                Some(res) => {
                    res.methods.insert(r.method.clone(), r.clone());
                }
                None => resources.push(Resource {
                    path: r.path.clone(),
                    segs: parse(&r.path),
                    methods: BTreeMap::from([(r.method.clone(), r.clone())]),
                }),
            }
        }
        Router { resources }
    }

    /// Every resource (for the route table).
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The most specific resource matching `path` (already without the stage).
    pub fn find(&self, path: &str) -> Option<Match<'_>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<(Vec<u8>, Match<'_>)> = None;
        for res in &self.resources {
            let Some((rank, params)) = matches(&res.segs, &parts) else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                best = Some((
                    rank,
                    Match {
                        resource: res,
                        params,
                    },
                ));
            }
        }
        best.map(|(_, m)| m)
    }
}

/// Whether `segs` matches `parts`; the rank compares specificity segment by segment.
pub(crate) fn matches(segs: &[Seg], parts: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let mut rank = Vec::with_capacity(segs.len());
    let mut params = BTreeMap::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Literal(l) => {
                if parts.get(i) != Some(&l.as_str()) {
                    return None;
                }
                rank.push(3);
            }
            Seg::Param(name) => {
                let v = parts.get(i)?;
                params.insert(name.clone(), (*v).to_string());
                rank.push(2);
            }
            Seg::Greedy(name) => {
                if i != segs.len() - 1 || parts.len() <= i {
                    return None;
                }
                params.insert(name.clone(), parts[i..].join("/"));
                rank.push(1);
                return Some((rank, params));
            }
        }
    }
    (parts.len() == segs.len()).then_some((rank, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Route {
        Route::proxy("GET", path, path, "1.0")
    }

    #[test]
    fn specific_beats_param_beats_proxy() {
        let r = Router::new(&[
            route("/{proxy+}"),
            route("/items/{id}"),
            route("/items/special"),
            route("/"),
        ]);
        assert_eq!(
            r.find("/items/special").expect("m").resource.path,
            "/items/special"
        );
        let m = r.find("/items/42").expect("m");
        assert_eq!(m.resource.path, "/items/{id}");
        assert_eq!(m.params["id"], "42");
        let m = r.find("/a/b/c").expect("m");
        assert_eq!(m.resource.path, "/{proxy+}");
        assert_eq!(m.params["proxy"], "a/b/c");
        assert_eq!(r.find("/").expect("m").resource.path, "/");
        assert_eq!(
            r.find("/items/special/")
                .expect("trailing slash")
                .resource
                .path,
            "/items/special"
        );
    }

    #[test]
    fn no_match_without_a_resource() {
        let r = Router::new(&[route("/open"), route("/")]);
        assert!(r.find("/nope").is_none());
        assert!(r.find("/open/x").is_none());
    }
}
