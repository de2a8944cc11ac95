import { Type } from '@sinclair/typebox';
import { Bool, Int, Secret, Section, Str } from '../schema-kit.js';

export const syncSection = Section('Sync to headquarters over MQTT.', {
  enabled: Bool('Connect to the headquarters broker.', false),
  broker_url: Str(
    'Broker URL: mqtts://host:8883 in production; mqtt:// only on loopback.',
    'mqtt://127.0.0.1:1883',
    {
      pattern: '^(mqtts?|wss?)://',
    },
  ),
  ca_file: Type.Optional(Type.String({ description: 'Pinned CA certificate (PEM) for the broker.' })),
  cert_file: Type.Optional(Type.String({ description: "This device's client certificate (PEM)." })),
  key: Secret("This device's client private key (PEM) (or key_file)."),
  username: Type.Optional(Type.String({ description: 'Broker user name, when not using certificates.' })),
  password: Secret('Broker password (or password_file).'),
  inflight_max: Int('Outbox messages in flight at once.', 64, 1, 1000),
  retry_min_ms: Int('First retry delay for an unacknowledged item.', 2000, 100, 3600000),
  retry_max_ms: Int('Largest retry delay.', 300000, 1000, 86400000),
  telemetry_interval_s: Int('Telemetry period.', 60, 5, 86400),
});
