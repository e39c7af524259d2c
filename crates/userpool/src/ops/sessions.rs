//! Who a token belongs to, and ending sessions: GlobalSignOut, AdminUserGlobalSignOut,
//! RevokeToken.

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::pools::UserPools;
use crate::token::{self, TokenError};

impl UserPools {
    /// The user an access token belongs to: (pool id, stored username).
    pub(super) fn token_user(&self, r: &Req<'_>) -> Result<(String, String)> {
        let token = r.str("AccessToken")?;
        let invalid = || CognitoError::not_authorized("Invalid Access Token");
        // Find the pool from the unverified issuer, then verify with that pool's keys.
        let claims = common::jwt::peek_claims(token).ok_or_else(invalid)?;
        let iss = claims["iss"].as_str().ok_or_else(invalid)?;
        let (pool_id, keys) = self.keys_for_issuer(iss).ok_or_else(invalid)?;
        let claims = match token::verify(token, &keys, iss, "access") {
            Ok(c) => c,
            Err(TokenError::Expired) => {
                return Err(CognitoError::not_authorized("Access Token has expired"));
            }
            Err(TokenError::Invalid) => return Err(invalid()),
        };
        let state = self.read();
        let username = claims["username"].as_str().ok_or_else(invalid)?;
        let user = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(username))
            .filter(|u| claims["sub"] == u.sub())
            .ok_or_else(CognitoError::user_not_found)?;
        if Self::session_revoked(&state, user, claims["origin_jti"].as_str().unwrap_or("")) {
            return Err(CognitoError::not_authorized(
                "Access Token has been revoked",
            ));
        }
        if !user.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        Ok((pool_id, username.to_string()))
    }

    /// Revokes every session of a user begun until now: their refresh and access tokens.
    fn sign_out_everywhere(&self, pool_id: &str, username: &str) -> Result<()> {
        self.update_user(pool_id, username, |u| {
            u.sessions_revoked_ms = common::date::now_ms();
            Ok(())
        })?;
        Ok(())
    }

    pub(crate) fn global_sign_out(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        self.sign_out_everywhere(&pool_id, &username)?;
        Ok(json!({}))
    }

    pub(crate) fn admin_user_global_sign_out(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        self.sign_out_everywhere(&pool_id, &username)?;
        Ok(json!({}))
    }

    pub(crate) fn revoke_token(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["Token", "ClientId"])?;
        let token = r.str("Token")?;
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        if token.split('.').count() == 3 {
            return Err(CognitoError::new(
                ErrorKind::UnsupportedTokenType,
                "The token type is not supported.",
            ));
        }
        self.revoke_refresh(&client, token)?;
        Ok(json!({}))
    }

    /// Revokes `client`'s refresh token `token` (and the tokens issued from it).
    pub(crate) fn revoke_refresh(
        &self,
        client: &crate::model::ClientConfig,
        token: &str,
    ) -> Result<()> {
        let keys = self
            .read()
            .pools
            .get(&client.pool_id)
            .map(|p| std::sync::Arc::clone(&p.keys))
            .ok_or_else(|| no_pool(&client.pool_id))?;
        let claims = Self::refresh_claims(&keys, token)
            .filter(|c| c.client_id == client.id)
            .ok_or_else(|| CognitoError::new(ErrorKind::Unauthorized, "Invalid token"))?;
        self.transact(|_, tx| {
            tx.revoke(&claims.jti, claims.exp);
            Ok(())
        })?;
        self.prune_revoked()
    }
}
