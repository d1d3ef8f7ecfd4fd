"""Discovery: advice on which experiment to run next (:mod:`.suggest`) and the search
strategies the explore autopilot uses (:mod:`.evolution`). Pure logic over what the store
already knows (models, lineage, finished runs); the service layer applies its answers."""
