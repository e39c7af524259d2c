//! The services' ports, met by the other services: the Lambda host runs the gateway's
//! invocations, the user pools give the gateway its keys. Only this crate knows both sides.

use std::sync::Arc;

use common::jwt::KeySet;
use gateway::{Invocation, InvokeError};

/// The Lambda host as the gateway's [`gateway::Invoke`] port.
#[derive(Debug, Clone)]
pub struct Functions(pub Arc<lambda::Host>);

impl gateway::Invoke for Functions {
    fn invoke<'a>(&'a self, function: &'a str, event: Vec<u8>) -> Invocation<'a> {
        Box::pin(async move {
            self.0.invoke(function, event).await.map_err(|e| match e {
                lambda::InvokeError::UnknownFunction(n) => InvokeError::UnknownFunction(n),
                lambda::InvokeError::Function {
                    error_type,
                    message,
                } => InvokeError::Function {
                    error_type,
                    message,
                },
                lambda::InvokeError::Crashed(why) => InvokeError::Crashed(why),
                lambda::InvokeError::Timeout(d) => InvokeError::Timeout(d),
            })
        })
    }
}

/// The local user pools as the gateway's [`gateway::auth::KeySource`] port.
#[derive(Debug, Clone)]
pub struct Keys(pub Arc<userpool::UserPools>);

impl gateway::auth::KeySource for Keys {
    fn keys_for_issuer(&self, iss: &str) -> Option<(String, Arc<KeySet>)> {
        self.0
            .keys_for_issuer(iss)
            .map(|(pool, keys)| (pool, Arc::clone(&keys.public)))
    }

    fn client_pool(&self, client_id: &str) -> Option<String> {
        self.0.client_pool(client_id)
    }
}
