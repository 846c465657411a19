// Command gen writes store_go.json: a clef-format encrypted store file
// produced with Go's own crypto/aes, crypto/cipher and encoding/json, used
// by src/vault/aes_gcm_store_test.ts as an independent oracle for the file
// format (json.Marshal map key order and string escaping, []byte base64).
//
// Run: go run . > ../store_go.json   (Go 1.19 stdlib only; no \b or \f in
// the keys, whose escaping changed in Go 1.22).
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"os"
)

type record struct {
	Iv []byte `json:"iv"`
	C  []byte `json:"c"`
}

func main() {
	key := []byte("AES256Key-32Characters1234567890")
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		panic(err)
	}
	entries := [][2]string{
		{"ruleset_sha256", "4e4f64b9e7a9ac1b1c5a4d2f07e8b1b2d3c0b0f5b2a1e7c3d4f5a6b7c8d9e0f1"},
		{"0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3", "a keystore password"},
		{"<script>&", "html <escaped> & stuff"},
		{"quote\"back\\slash", "line\nbreak\ttab"},
		{"\u2028sep\u2029", "\u00e9\u00e8"},
		{"\uff61", "halfwidth"},
		{"\U0001F600", "emoji"},
		{"10", "ten"},
		{"9", "nine"},
		{"ctl\x01", ""},
	}
	m := map[string]record{}
	for i, e := range entries {
		nonce := make([]byte, aead.NonceSize())
		for j := range nonce {
			nonce[j] = byte(i + 1)
		}
		m[e[0]] = record{Iv: nonce, C: aead.Seal(nil, nonce, []byte(e[1]), []byte(e[0]))}
	}
	out, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(out)
}
