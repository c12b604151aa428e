"""Rules about content delivery (CloudFront)."""
