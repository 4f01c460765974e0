"""Export the warehouse's blend_quality_metrics table to Elasticsearch or OpenSearch."""
