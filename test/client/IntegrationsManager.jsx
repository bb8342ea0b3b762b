import React, { useState, useEffect } from 'react';
import axios from 'axios';

const API_BASE_URL = import.meta.env.VITE_API_BASE_URL;

const IntegrationsManager = ({ orgId }) => {
  const [integrations, setIntegrations] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);

  // Fetch integrations on component mount
  useEffect(() => {
    const fetchIntegrations = async () => {
      try {
        setLoading(true);
        const response = await axios.get(
          `${API_BASE_URL}/organization-integrations?org_id=${orgId}`
        );
        setIntegrations(response.data.integrations);
        setError(null);
      } catch (err) {
        setError('Failed to fetch integrations');
        console.error(err);
      } finally {
        setLoading(false);
      }
    };

    fetchIntegrations();
  }, [orgId]);

  // Toggle integration active status
  const handleToggleIntegration = async (integrationId, currentStatus) => {
    try {
      const response = await axios.post(
        `${API_BASE_URL}/toggle-organization-integration`,
        {
          id: integrationId,
          active: !currentStatus
        }
      );
      
      // Update the local state with the updated integration
      setIntegrations(integrations.map(integration => 
        integration.id === integrationId 
          ? { ...integration, is_active: !currentStatus } 
          : integration
      ));
      
    } catch (err) {
      setError('Failed to toggle integration');
      console.error(err);
    }
  };

  // Delete integration
  const handleDeleteIntegration = async (integrationId) => {
    if (window.confirm('Are you sure you want to delete this integration?')) {
      try {
        await axios.post(
          `${API_BASE_URL}/delete-organization-integration`,
          {
            id: integrationId
          }
        );
        
        // Remove the deleted integration from the state
        setIntegrations(integrations.filter(
          integration => integration.id !== integrationId
        ));
        
      } catch (err) {
        setError('Failed to delete integration');
        console.error(err);
      }
    }
  };

  if (loading) return <div>Loading integrations...</div>;
  if (error) return <div className="error">{error}</div>;

  return (
    <div className="integrations-container">
      <h2>Organization Integrations</h2>
      
      {integrations.length === 0 ? (
        <p>No integrations found. Create one to get started.</p>
      ) : (
        <ul className="integrations-list">
          {integrations.map(integration => (
            <li key={integration.id} className="integration-item">
              <div className="integration-header">
                <h3>{integration.name}</h3>
                <span className={`status ${integration.is_active ? 'active' : 'inactive'}`}>
                  {integration.is_active ? 'Active' : 'Inactive'}
                </span>
              </div>
              
              <div className="integration-details">
                <p>Type: {integration.integration_type}</p>
                {integration.webhook_url && (
                  <p>Webhook URL: {integration.webhook_url}</p>
                )}
              </div>
              
              <div className="integration-actions">
                <button
                  onClick={() => handleToggleIntegration(integration.id, integration.is_active)}
                  className="toggle-btn"
                >
                  {integration.is_active ? 'Deactivate' : 'Activate'}
                </button>
                <button
                  onClick={() => handleDeleteIntegration(integration.id)}
                  className="delete-btn"
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      
      <button className="add-integration-btn">Add New Integration</button>
    </div>
  );
};

export default IntegrationsManager;
