package remote

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
)

// The environment variables an azblob:// remote reads, as gocloud's
// azureblob package names them.
const (
	EnvAzureAccount          = "AZURE_STORAGE_ACCOUNT"
	EnvAzureKey              = "AZURE_STORAGE_KEY"
	EnvAzureSASToken         = "AZURE_STORAGE_SAS_TOKEN"
	EnvAzureConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
)

// openAzure opens azblob://container/prefix: the container (which must
// exist) and, as for s3, the URL's path as the prefix. The query takes
// gocloud's parameters: domain, protocol, localemu (Azurite), cdn,
// storage_account. Credentials come from env only, in this order: an
// account name and key, a SAS token, a connection string; with none of
// them, Azure's default credential chain (a managed identity, az login).
func openAzure(ctx context.Context, u *url.URL, env func(string) string) (*blob.Bucket, error) {
	q := u.Query()
	if q.Has("prefix") {
		return nil, errors.New(`give the prefix as the URL's path (azblob://container/prefix), not as "prefix="`)
	}
	local, _ := strconv.ParseBool(env("AZURE_STORAGE_IS_LOCAL_EMULATOR"))
	o := &azureblob.URLOpener{
		MakeClient: azureClient(env),
		ServiceURLOptions: azureblob.ServiceURLOptions{
			AccountName:     env(EnvAzureAccount),
			SASToken:        env(EnvAzureSASToken),
			StorageDomain:   env("AZURE_STORAGE_DOMAIN"),
			Protocol:        env("AZURE_STORAGE_PROTOCOL"),
			IsLocalEmulator: local,
		},
	}
	prefix := strings.Trim(u.Path, "/")
	c := *u
	c.Path, c.RawPath = "", ""
	bucket, err := o.OpenBucketURL(ctx, &c)
	if err == nil && prefix != "" {
		bucket = blob.PrefixedBucket(bucket, prefix+"/")
	}
	return bucket, err
}

// azureClient returns what makes the container client, with the
// credentials env holds.
func azureClient(env func(string) string) func(azureblob.ServiceURL, azureblob.ContainerName) (*container.Client, error) {
	return func(svc azureblob.ServiceURL, name azureblob.ContainerName) (*container.Client, error) {
		containerURL, err := url.JoinPath(string(svc), string(name))
		if err != nil {
			return nil, err
		}
		account, key := env(EnvAzureAccount), env(EnvAzureKey)
		switch {
		case account != "" && key != "":
			cred, err := azblob.NewSharedKeyCredential(account, key)
			if err != nil {
				// Its text would quote nothing of the key, but say so plainly.
				return nil, errors.New(EnvAzureKey + " is not a valid account key")
			}
			return container.NewClientWithSharedKeyCredential(containerURL, cred, nil)
		case env(EnvAzureSASToken) != "":
			// The token is in the service URL already.
			return container.NewClientWithNoCredential(containerURL, nil)
		case env(EnvAzureConnectionString) != "":
			return container.NewClientFromConnectionString(env(EnvAzureConnectionString), string(name), nil)
		}
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, err
		}
		return container.NewClient(containerURL, cred, nil)
	}
}
