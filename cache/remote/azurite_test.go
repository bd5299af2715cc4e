package remote

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azurite, Microsoft's emulator of Azure Storage, serves the azblob
// backend's tests: one process for the test binary, started on first use
// from azurite-blob on PATH (npm install azurite). Without it the azblob
// tests are skipped, unless PROMPTBUILD_TEST_AZURITE=required (as CI
// sets it), which makes its absence a failure.

// The emulator's well-known account, published with it.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	azurePrefix    = "team/promptbuild"
)

var azurite struct {
	once sync.Once
	url  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	dir  string
	err  error
}

// startAzurite starts the emulator once, or says why it cannot.
func startAzurite() (string, error) {
	azurite.once.Do(func() {
		bin, err := exec.LookPath("azurite-blob")
		if err != nil {
			azurite.err = fmt.Errorf("azurite-blob is not on PATH (npm install -g azurite): %w", err)
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			azurite.err = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if azurite.dir, err = os.MkdirTemp("", "remote-test-azurite"); err != nil {
			azurite.err = err
			return
		}
		cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
			"--inMemoryPersistence", "--silent", "--skipApiVersionCheck")
		cmd.Dir = azurite.dir
		if err := cmd.Start(); err != nil {
			azurite.err = err
			return
		}
		azurite.cmd = cmd
		azurite.url = fmt.Sprintf("http://127.0.0.1:%d", port)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get(azurite.url + "/" + azuriteAccount + "?comp=list"); err == nil {
				resp.Body.Close()
				return
			}
			if time.Now().After(deadline) {
				azurite.err = fmt.Errorf("azurite did not answer on %s within 30s", azurite.url)
				return
			}
		}
	})
	return azurite.url, azurite.err
}

// stopAzurite stops the emulator, if it was started.
func stopAzurite() {
	if azurite.cmd != nil {
		azurite.cmd.Process.Kill()
		azurite.cmd.Wait()
	}
	if azurite.dir != "" {
		os.RemoveAll(azurite.dir)
	}
}

var containerName = regexp.MustCompile(`[^a-z0-9]+`)

// setupAzure makes a container of its own in Azurite, behind a proxy that
// injects faults, and points the azblob backend at it.
func setupAzure(t *testing.T) *remoteSetup {
	base, err := startAzurite()
	if err != nil {
		if os.Getenv("PROMPTBUILD_TEST_AZURITE") == "required" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	name := strings.Trim(containerName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 50 {
		name = name[len(name)-50:]
	}
	name = fmt.Sprintf("c%d-%s", time.Now().UnixNano()%1e9, strings.Trim(name, "-"))
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := container.NewClientWithSharedKeyCredential(base+"/"+azuriteAccount+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Create(context.Background(), nil); err != nil {
		t.Fatalf("creating container %s: %v", name, err)
	}
	target, _ := url.Parse(base)
	srv, f := serve(t, httputil.NewSingleHostReverseProxy(target))
	host := strings.TrimPrefix(srv.URL, "http://")
	return &remoteSetup{
		url: "azblob://" + name + "/" + azurePrefix + "?protocol=http&localemu=true&domain=" + host,
		env: map[string]string{
			EnvAzureAccount: azuriteAccount,
			EnvAzureKey:     azuriteKey,
		},
		faults: f,
		overwrite: func(kind Kind, key string, data []byte) {
			b := client.NewBlockBlobClient(azurePrefix + "/" + string(kind) + "/" + key)
			if _, err := b.UploadBuffer(context.Background(), data, nil); err != nil {
				t.Fatal(err)
			}
		},
	}
}
