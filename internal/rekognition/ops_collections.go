package rekognition

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Consent-policy tags of CreateCollection.
const (
	TagConsentPurpose  = "mien:consent-purpose"
	TagConsentExpires  = "mien:consent-expires-days"
	TagConsentEvidence = "mien:consent-evidence"
	// DefaultRetentionDays applies when a policy names no expiry.
	DefaultRetentionDays = 365
)

// consentFromTags reads a consent policy from CreateCollection's tags (nil
// when the tags declare none). Tags outside mien: are accepted and ignored.
func consentFromTags(tags map[string]string) (*ConsentPolicy, error) {
	var p ConsentPolicy
	days := DefaultRetentionDays
	for k, v := range tags {
		switch k {
		case TagConsentPurpose:
			p.Purpose = strings.TrimSpace(v)
		case TagConsentEvidence:
			p.Evidence = strings.TrimSpace(v)
		case TagConsentExpires:
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 3650 {
				return nil, Invalid("tag %s must be a whole number of days from 1 to 3650, got %q", k, v)
			}
			days = n
		default:
			if strings.HasPrefix(k, "mien:") {
				return nil, Invalid("unknown tag %q: mien's consent tags are %s, %s and %s", k, TagConsentPurpose, TagConsentExpires, TagConsentEvidence)
			}
		}
	}
	if p.Purpose == "" {
		if hasKey(tags, TagConsentPurpose) || hasKey(tags, TagConsentExpires) || hasKey(tags, TagConsentEvidence) {
			return nil, Invalid("a consent policy needs a non-empty %s tag saying why faces are kept", TagConsentPurpose)
		}
		return nil, nil
	}
	if len(p.Purpose) > 256 {
		return nil, Invalid("tag %s is over 256 characters", TagConsentPurpose)
	}
	p.Retention = time.Duration(days) * 24 * time.Hour
	return &p, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func arn(region, tenant, collection string) string {
	return "arn:aws:rekognition:" + region + ":" + tenant + ":collection/" + collection
}

type collectionIDInput struct {
	CollectionId string
}

type createCollectionInput struct {
	CollectionId string
	Tags         map[string]string
}

type createCollectionOutput struct {
	StatusCode       int
	CollectionArn    string
	FaceModelVersion string
}

func (h *Handler) createCollection(ctx context.Context, c *call) (any, error) {
	var in createCollectionInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	policy, err := consentFromTags(in.Tags)
	if err != nil {
		return nil, err
	}
	col, err := h.backend.CreateCollection(ctx, c.tenant, NewCollection{ID: in.CollectionId, Consent: policy})
	if err != nil {
		return nil, err
	}
	return createCollectionOutput{StatusCode: 200, CollectionArn: arn(c.region, c.tenant, col.ID), FaceModelVersion: faceModelVersion(col.ModelID)}, nil
}

type statusOutput struct {
	StatusCode int
}

func (h *Handler) deleteCollection(ctx context.Context, c *call) (any, error) {
	var in collectionIDInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	if err := h.backend.DeleteCollection(ctx, c.tenant, in.CollectionId); err != nil {
		return nil, err
	}
	return statusOutput{StatusCode: 200}, nil
}

type listInput struct {
	CollectionId string
	NextToken    string
	MaxResults   *int
}

type listCollectionsOutput struct {
	CollectionIds     []string
	FaceModelVersions []string
	NextToken         string `json:",omitempty"`
}

func (h *Handler) listCollections(ctx context.Context, c *call) (any, error) {
	var in listInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	n, err := limit("MaxResults", in.MaxResults, 1000, 4096)
	if err != nil {
		return nil, err
	}
	pg := page{op: "ListCollections", collection: ""}
	after, err := h.openPage(c, pg, in.NextToken)
	if err != nil {
		return nil, err
	}
	cols, err := h.backend.ListCollections(ctx, c.tenant, after, n+1)
	if err != nil {
		return nil, err
	}
	out := listCollectionsOutput{CollectionIds: []string{}, FaceModelVersions: []string{}}
	if len(cols) > n {
		cols = cols[:n]
		if out.NextToken, err = h.sealPage(c, pg, cols[n-1].ID); err != nil {
			return nil, err
		}
	}
	for _, col := range cols {
		out.CollectionIds = append(out.CollectionIds, col.ID)
		out.FaceModelVersions = append(out.FaceModelVersions, faceModelVersion(col.ModelID))
	}
	return out, nil
}

type describeCollectionOutput struct {
	FaceCount         int64
	UserCount         int64
	FaceModelVersion  string
	CollectionARN     string
	CreationTimestamp float64
	// MienFaceModel is mien's id of the collection's recognizer (e.g.
	// faceplugin-arcface-512), beside AWS's numeric FaceModelVersion. AWS
	// SDKs ignore the field; read it from the raw response.
	MienFaceModel string
}

func (h *Handler) describeCollection(ctx context.Context, c *call) (any, error) {
	var in collectionIDInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	col, err := h.backend.DescribeCollection(ctx, c.tenant, in.CollectionId)
	if err != nil {
		return nil, err
	}
	return describeCollectionOutput{
		FaceCount: col.FaceCount, UserCount: col.UserCount, FaceModelVersion: faceModelVersion(col.ModelID), MienFaceModel: col.ModelID,
		CollectionARN:     arn(c.region, c.tenant, col.ID),
		CreationTimestamp: float64(col.CreatedAt.UnixMilli()) / 1000,
	}, nil
}
