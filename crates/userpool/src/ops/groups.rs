//! Groups: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, AdminAddUserToGroup,
//! AdminRemoveUserFromGroup, AdminListGroupsForUser, ListUsersInGroup (and the groups a
//! template declares). A pool keeps its groups; a user keeps the names of its groups. Tokens
//! carry them as `cognito:groups`, ordered by precedence (see [`token_groups`]).

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{Group, PoolConfig, User};
use crate::pools::UserPools;
use common::date::now_f64;

fn group_not_found() -> CognitoError {
    CognitoError::resource_not_found("Group not found.")
}

/// A page of `items` after `NextToken` (an index, as text), at most `limit` long.
fn page<T: Clone>(
    items: &[T],
    r: &Req<'_>,
    default_limit: usize,
) -> Result<(Vec<T>, Option<String>)> {
    let limit = r
        .opt_int("Limit")?
        .map_or(default_limit, |l| {
            usize::try_from(l).unwrap_or(default_limit)
        })
        .max(1);
    let start = match r.opt_str("NextToken")? {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| CognitoError::invalid_parameter("Invalid pagination token"))?,
        None => 0,
    };
    let end = (start + limit).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items.get(start..end).unwrap_or_default().to_vec(), next))
}

/// `cognito:groups`, `cognito:roles` and `cognito:preferred_role` for `user`: groups by
/// precedence (lowest first; those without one last), the roles of those that have one, and
/// the role of the group of lowest precedence (none on a tie between different roles).
pub fn token_groups(pool: &PoolConfig, user: &User) -> (Vec<String>, Vec<String>, Option<String>) {
    let mut groups: Vec<&Group> = user
        .groups
        .iter()
        .filter_map(|g| pool.groups.get(g))
        .collect();
    groups.sort_by(|a, b| {
        (a.precedence.is_none(), a.precedence, &a.name).cmp(&(
            b.precedence.is_none(),
            b.precedence,
            &b.name,
        ))
    });
    let names = groups.iter().map(|g| g.name.clone()).collect();
    let mut roles: Vec<String> = groups.iter().filter_map(|g| g.role_arn.clone()).collect();
    roles.dedup();
    let with_role: Vec<&&Group> = groups.iter().filter(|g| g.role_arn.is_some()).collect();
    let preferred = with_role.first().and_then(|first| {
        let tied: Vec<&&&Group> = with_role
            .iter()
            .filter(|g| g.precedence == first.precedence)
            .collect();
        tied.iter()
            .all(|g| g.role_arn == first.role_arn)
            .then(|| first.role_arn.clone())
            .flatten()
    });
    (names, roles, preferred)
}

impl UserPools {
    fn pool_of(&self, r: &Req<'_>) -> Result<String> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        if !self.read().pools.contains_key(pool_id) {
            return Err(no_pool(pool_id));
        }
        Ok(pool_id.to_string())
    }

    /// Creates a group in `pool_id`; also the groups a template declares.
    pub fn create_group_in(&self, pool_id: &str, group: Group) -> Result<Json> {
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            if pool.config.groups.contains_key(&group.name) {
                return Err(CognitoError::new(
                    ErrorKind::GroupExists,
                    format!("A group with the name {} already exists.", group.name),
                ));
            }
            let mut config = pool.config.clone();
            let rendered = group.render(pool_id);
            config.groups.insert(group.name.clone(), group);
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({"Group": rendered}))
        })
    }

    pub(crate) fn create_group(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let now = now_f64();
        let group = Group {
            name: r.str("GroupName")?.to_string(),
            description: r.opt_str("Description")?.map(str::to_string),
            role_arn: r.opt_str("RoleArn")?.map(str::to_string),
            precedence: r.opt_int("Precedence")?,
            created: now,
            modified: now,
        };
        self.create_group_in(&pool_id, group)
    }

    pub(crate) fn get_group(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let name = r.str("GroupName")?;
        let state = self.read();
        let g = state.pools[&pool_id]
            .config
            .groups
            .get(name)
            .ok_or_else(group_not_found)?;
        Ok(json!({"Group": g.render(&pool_id)}))
    }

    pub(crate) fn update_group(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let name = r.str("GroupName")?;
        let (description, role_arn, precedence) = (
            r.opt_str("Description")?,
            r.opt_str("RoleArn")?,
            r.opt_int("Precedence")?,
        );
        self.transact(|state, tx| {
            let pool = state.pools.get(&pool_id).ok_or_else(|| no_pool(&pool_id))?;
            let mut config = pool.config.clone();
            let g = config.groups.get_mut(name).ok_or_else(group_not_found)?;
            // Members left out keep their values.
            if let Some(d) = description {
                g.description = Some(d.to_string());
            }
            if let Some(a) = role_arn {
                g.role_arn = Some(a.to_string());
            }
            if let Some(p) = precedence {
                g.precedence = Some(p);
            }
            g.modified = now_f64();
            let rendered = g.render(&pool_id);
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({"Group": rendered}))
        })
    }

    pub(crate) fn delete_group(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let name = r.str("GroupName")?;
        self.transact(|state, tx| {
            let pool = state.pools.get(&pool_id).ok_or_else(|| no_pool(&pool_id))?;
            let mut config = pool.config.clone();
            config.groups.remove(name).ok_or_else(group_not_found)?;
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            for user in pool.users.values().filter(|u| u.groups.contains(name)) {
                let mut u = user.clone();
                u.groups.remove(name);
                tx.put_user(&pool_id, u);
            }
            Ok(json!({}))
        })
    }

    pub(crate) fn list_groups(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let groups: Vec<Json> = {
            let state = self.read();
            state.pools[&pool_id]
                .config
                .groups
                .values()
                .map(|g| g.render(&pool_id))
                .collect()
        };
        let (items, next) = page(&groups, r, 60)?;
        let mut out = json!({"Groups": items});
        if let Some(n) = next {
            out["NextToken"] = json!(n);
        }
        Ok(out)
    }

    /// Puts the user `username` (stored name) into or out of `group`.
    pub fn set_membership(
        &self,
        pool_id: &str,
        username: &str,
        group: &str,
        member: bool,
    ) -> Result<()> {
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            if !pool.config.groups.contains_key(group) {
                return Err(group_not_found());
            }
            let mut u = pool
                .users
                .get(username)
                .ok_or_else(CognitoError::user_not_found)?
                .clone();
            let changed = if member {
                u.groups.insert(group.to_string())
            } else {
                u.groups.remove(group)
            };
            if changed {
                tx.put_user(pool_id, u);
            }
            Ok(())
        })
    }

    pub(crate) fn admin_add_user_to_group(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "GroupName"])?;
        let (pool_id, username) = self.admin_user(r)?;
        self.set_membership(&pool_id, &username, r.str("GroupName")?, true)?;
        Ok(json!({}))
    }

    pub(crate) fn admin_remove_user_from_group(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "GroupName"])?;
        let (pool_id, username) = self.admin_user(r)?;
        self.set_membership(&pool_id, &username, r.str("GroupName")?, false)?;
        Ok(json!({}))
    }

    pub(crate) fn admin_list_groups_for_user(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let groups: Vec<Json> = {
            let state = self.read();
            let pool = &state.pools[&pool_id];
            let user = pool
                .users
                .get(&username)
                .ok_or_else(CognitoError::user_not_found)?;
            user.groups
                .iter()
                .filter_map(|g| pool.config.groups.get(g))
                .map(|g| g.render(&pool_id))
                .collect()
        };
        let (items, next) = page(&groups, r, 60)?;
        let mut out = json!({"Groups": items});
        if let Some(n) = next {
            out["NextToken"] = json!(n);
        }
        Ok(out)
    }

    pub(crate) fn list_users_in_group(&self, r: &Req<'_>) -> Result<Json> {
        let pool_id = self.pool_of(r)?;
        let name = r.str("GroupName")?;
        let users: Vec<Json> = {
            let state = self.read();
            let pool = &state.pools[&pool_id];
            if !pool.config.groups.contains_key(name) {
                return Err(group_not_found());
            }
            let mut members: Vec<&User> = pool
                .users
                .values()
                .filter(|u| u.groups.contains(name))
                .collect();
            members.sort_by(|a, b| a.username.cmp(&b.username));
            members.iter().map(|u| u.render()).collect()
        };
        let (items, next) = page(&users, r, 60)?;
        let mut out = json!({"Users": items});
        if let Some(n) = next {
            out["NextToken"] = json!(n);
        }
        Ok(out)
    }
}

impl UserPools {
    /// A group the template declares (`request` is its CreateGroup request): created once,
    /// updated from the template on later starts. Returns its name.
    pub fn ensure_group(&self, request: &Json) -> Result<String> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        let pool_id = self.pool_of(&r)?;
        let name = r.str("GroupName")?.to_string();
        let exists = self.read().pools[&pool_id]
            .config
            .groups
            .contains_key(&name);
        if exists {
            self.update_group(&r)?;
        } else {
            self.create_group(&r)?;
        }
        Ok(name)
    }

    /// A user-to-group attachment the template declares (`UserPoolId`, `Username`,
    /// `GroupName`).
    pub fn ensure_membership(&self, request: &Json) -> Result<()> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        r.require(&["UserPoolId", "Username", "GroupName"])?;
        let (pool_id, username) = self.admin_user(&r)?;
        self.set_membership(&pool_id, &username, r.str("GroupName")?, true)
    }
}
