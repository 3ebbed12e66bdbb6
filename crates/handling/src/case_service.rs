//! The tonic methods of the case services, written once.
//!
//! Every case RPC of the investigation and measures services is the same method around a
//! different conversion: trace the call by its name, take the command and case ids from the
//! request, build the case command, and run it through [`Handler::case_rpc`](crate::Handler).
//! Written out, that frame was fifteen lines an RPC, 27 times; with this macro a service lists
//! only what differs (the RPC's name, its request and its conversion), and a change to the
//! frame is made here once.

/// The whole `#[tonic::async_trait]` impl of a case service. Each `#[rpc = "Name"] fn
/// method(r: Request) { ... }` becomes the traced RPC method whose block converts the request
/// `r` into a `Result<CaseCommand, Error>`. The block sees only `r`: an RPC that needs the
/// service itself is written out by hand after the list, which passes it through unchanged.
#[macro_export]
macro_rules! case_service {
    (
        impl $service:ident for $type:ident {
            $( #[rpc = $rpc:literal] fn $method:ident($r:ident: $request:ty) $build:block )*
        }
        $($by_hand:tt)*
    ) => {
        #[::tonic::async_trait]
        impl $service for $type {
            $(
                #[::tracing::instrument(skip_all, fields(rpc = $rpc))]
                async fn $method(
                    &self,
                    request: ::tonic::Request<$request>,
                ) -> ::std::result::Result<
                    ::tonic::Response<::api::common::v1::WriteResult>,
                    ::tonic::Status,
                > {
                    self.handler
                        .case_rpc(request, |$r| (&$r.command_id, &$r.case_id), |$r| $build)
                        .await
                }
            )*
            $($by_hand)*
        }
    };
}
