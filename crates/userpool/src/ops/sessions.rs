//! Who a token belongs to, and ending sessions: GlobalSignOut, AdminUserGlobalSignOut,
//! RevokeToken.

use serde_json::{Value as Json, json};

use super::{Constraint, Req};
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
        if let Some(jti) = claims["origin_jti"].as_str()
            && state.refresh.get(jti).is_some_and(|r| r.revoked)
        {
            return Err(CognitoError::not_authorized(
                "Access Token has been revoked",
            ));
        }
        let username = claims["username"].as_str().ok_or_else(invalid)?;
        let user = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(username))
            .ok_or_else(CognitoError::user_not_found)?;
        if !user.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        Ok((pool_id, username.to_string()))
    }

    /// Revokes every refresh token (and so every access token) of a user.
    fn sign_out_everywhere(&self, pool_id: &str, username: &str) -> Result<()> {
        self.transact(|state, tx| {
            for r in state.refresh.values() {
                if r.pool_id == pool_id && r.username == username && !r.revoked {
                    let mut revoked = r.clone();
                    revoked.revoked = true;
                    tx.put_refresh(revoked);
                }
            }
            Ok(())
        })
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
        let record = self
            .refresh_record(token)
            .filter(|rec| rec.client_id == client.id)
            .ok_or_else(|| CognitoError::new(ErrorKind::Unauthorized, "Invalid token"))?;
        self.transact(|state, tx| {
            if let Some(rec) = state.refresh.get(&record.origin_jti) {
                let mut revoked = rec.clone();
                revoked.revoked = true;
                tx.put_refresh(revoked);
            }
            Ok(())
        })?;
        Ok(json!({}))
    }
}
