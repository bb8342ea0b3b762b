// The six "Example Request" functions of the 001 API guide
// (shared/reference/001_c9831013fbcbaf3a.txt), copied verbatim. The only edits: API_BASE_URL and
// the API key just below, an Authorization header in place of each `// Add authorization
// headers` comment, and the export list at the end. Not linted or formatted (test/client/biome.json).

export const API_BASE_URL = 'https://hub.test';

let apiKey = '';
export const setApiKey = (key) => {
  apiKey = key;
};

const getIntegrations = async (orgId, activeOnly = false) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/organization-integrations?org_id=${orgId}&active_only=${activeOnly}`,
      {
        method: 'GET',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.integrations;
  } catch (error) {
    console.error('Failed to fetch integrations:', error);
    throw error;
  }
};

const getIntegrationDetails = async (integrationId) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/organization-integration/${integrationId}`,
      {
        method: 'GET',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.integration;
  } catch (error) {
    console.error('Failed to fetch integration details:', error);
    throw error;
  }
};

const createIntegration = async (integrationData) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/create-organization-integration`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
        body: JSON.stringify(integrationData),
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.integration;
  } catch (error) {
    console.error('Failed to create integration:', error);
    throw error;
  }
};

const updateIntegration = async (updateData) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/update-organization-integration`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
        body: JSON.stringify(updateData),
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.integration;
  } catch (error) {
    console.error('Failed to update integration:', error);
    throw error;
  }
};

const toggleIntegration = async (integrationId, active) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/toggle-organization-integration`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
        body: JSON.stringify({
          id: integrationId,
          active: active
        }),
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.integration;
  } catch (error) {
    console.error('Failed to toggle integration:', error);
    throw error;
  }
};

const deleteIntegration = async (integrationId) => {
  try {
    const response = await fetch(
      `${API_BASE_URL}/delete-organization-integration`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${apiKey}`,
        },
        body: JSON.stringify({
          id: integrationId
        }),
      }
    );
    
    if (!response.ok) {
      throw new Error(`Error: ${response.status}`);
    }
    
    const data = await response.json();
    return data.message;
  } catch (error) {
    console.error('Failed to delete integration:', error);
    throw error;
  }
};

export {
  getIntegrations,
  getIntegrationDetails,
  createIntegration,
  updateIntegration,
  toggleIntegration,
  deleteIntegration,
};
