// The AWS credential chain, in botocore's order: environment, the profile's role (STS AssumeRole),
// web identity (STS AssumeRoleWithWebIdentity), SSO (refused), the credentials file,
// credential_process, the config file, container endpoint (ECS/EKS), EC2 IMDSv2. One file per
// source under credentials/, plus the chain, the INI reader, the STS endpoint and answers, and
// RefreshingCredentials (which caches what the chain found and fetches again before temporary
// credentials expire). Secret parts travel as
// SecretValues. This header gathers them for the provider and its tests.
#pragma once

#include "providers/aws/credentials/assume_role.h"
#include "providers/aws/credentials/chain.h"
#include "providers/aws/credentials/container.h"
#include "providers/aws/credentials/environment.h"
#include "providers/aws/credentials/imds.h"
#include "providers/aws/credentials/ini.h"
#include "providers/aws/credentials/process.h"
#include "providers/aws/credentials/profile.h"
#include "providers/aws/credentials/profile_chain.h"
#include "providers/aws/credentials/refreshing.h"
#include "providers/aws/credentials/source.h"
#include "providers/aws/credentials/sso.h"
#include "providers/aws/credentials/sts_endpoint.h"
#include "providers/aws/credentials/web_identity.h"
